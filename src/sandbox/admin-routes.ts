import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { InvalidContacts } from './contacts';
import { FaultPatch } from './faults';
import type { SandboxState } from './state';

/** Control and inspection routes for tests and demos. Never faulted, never recorded. */
export const adminRoutes: FastifyPluginAsync<{ state: SandboxState }> = async (fastify, { state }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/admin/ledger', async () => state.ledger.snapshot());

  app.get('/admin/faults', async () => state.faults.current());

  app.post('/admin/faults', { schema: { body: FaultPatch } }, async (request) => state.faults.update(request.body));

  app.post('/admin/invalid-contacts', { schema: { body: InvalidContacts } }, async (request) => {
    state.contacts.markInvalid(request.body);
    return state.contacts.list();
  });

  app.post('/admin/reset', async () => {
    state.reset();
    return { reset: true };
  });
};

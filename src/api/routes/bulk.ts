import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { validate } from '../../client/case-service';
import { Pause, Resume } from '../../shared/schemas';
import type { ApiContext, BulkSignalName } from '../context';
import { ApiError, errorResponses } from '../errors';
import { BulkRequest, BulkResult } from '../schemas';

/**
 * Pause or resume every case matching a visibility query (moratoria), through Temporal
 * batch operations (src/client/bulk.ts). A dry run only counts. Who did it and why is
 * carried in each signal, so it lands on every case's timeline.
 */
export const bulkRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  for (const signal of ['pause', 'resume'] as const satisfies readonly BulkSignalName[]) {
    app.post(
      `/v1/bulk/${signal}`,
      {
        schema: {
          tags: ['bulk'],
          summary: signal === 'pause' ? 'Pause every case matching a visibility query' : 'Resume every case matching a visibility query',
          description: 'With dryRun the matching cases are only counted (200); otherwise a batch job is started (202). `actor` defaults to the authenticated caller.',
          body: BulkRequest,
          response: { 200: BulkResult, 202: BulkResult, ...errorResponses(400, 401, 501, 503) },
        },
      },
      async (request, reply) => {
        if (!ctx.bulk) throw new ApiError('not_implemented', 'bulk operations are not wired into this API build');
        const { query, reason, dryRun, until } = request.body;
        const actor = request.body.actor ?? request.auth.actor;
        if (signal === 'resume' && until !== undefined) throw new ApiError('invalid_request', 'until applies to pause only');
        // The payload each case receives, validated with the workflow's schema before anything is sent.
        const payload = signal === 'pause' ? validate(Pause, { reason, until, actor }) : validate(Resume, { reason, actor });
        const result = await ctx.bulk(ctx.client, { query, signal, payload, dryRun, actor, reason });
        request.log.info({ signal, dryRun: result.dryRun, matched: result.matched, jobId: result.jobId, actor }, 'bulk operation');
        // One signal per matching case, sent by the batch job.
        if (!result.dryRun) ctx.metrics.signalsSent.inc({ signal }, result.matched);
        return reply.code(result.dryRun ? 200 : 202).send(result);
      },
    );
  }
};

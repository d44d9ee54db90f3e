import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiContext } from '../context';
import { ApiError, errorResponses } from '../errors';
import { Health } from '../schemas';

const HEALTH_DEADLINE_MS = 3_000;

/**
 * Health, metrics and the OpenAPI document: open on the API's port (no token), as
 * Kubernetes probes and Prometheus scrapers expect. /metrics carries route templates,
 * status codes, signal names and error codes only, never case data; keep the port
 * inside the cluster (or put /metrics behind the ingress' own rules) if even that is
 * too much.
 */
export const opsRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['ops'],
        summary: 'Liveness and readiness: 200 when Temporal answers',
        security: [],
        response: { 200: Health, ...errorResponses(503) },
      },
    },
    async () => {
      try {
        await ctx.client.connection.withDeadline(Date.now() + HEALTH_DEADLINE_MS, () => ctx.client.workflowService.getSystemInfo({}));
      } catch (error) {
        ctx.logger.warn({ err: error }, 'health check: Temporal is not reachable');
        throw new ApiError('temporal_unavailable', 'Temporal is not reachable');
      }
      return { status: 'ok' as const, temporal: 'reachable' as const };
    },
  );

  app.get(
    '/metrics',
    {
      config: { access: 'public' },
      schema: {
        tags: ['ops'],
        summary: 'Prometheus metrics (text exposition format)',
        security: [],
        produces: ['text/plain'],
        response: { 200: z.string().meta({ description: 'Prometheus text format 0.0.4' }) },
      },
    },
    async (_request, reply) => {
      const text = await ctx.metrics.registry.metrics();
      // Sent as a string, past the JSON serializer.
      return reply.type(ctx.metrics.registry.contentType).serializer((payload) => payload as string).send(text);
    },
  );

  app.get(
    '/openapi.json',
    {
      config: { access: 'public' },
      schema: { hide: true },
    },
    async () => app.swagger(),
  );
};

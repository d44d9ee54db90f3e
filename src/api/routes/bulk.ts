import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { fromStructuredFilter } from '../../client/visibility-filter';
import { validate } from '../../client/case-service';
import { Pause, Resume } from '../../shared/schemas';
import type { ApiContext, BulkSignalName } from '../context';
import { ApiError, errorResponses } from '../errors';
import { BulkRequest, BulkResult } from '../schemas';

/** How long a request waits for the batch job before answering 202 with its id. */
const BULK_WAIT_MS = 20_000;

/**
 * Pause or resume every open case matching a structured filter (moratoria), through a
 * Temporal batch operation (src/client/bulk.ts). The filter becomes a visibility query
 * built and escaped by src/client/visibility-filter.ts; a raw `query` is refused (400), as the
 * strict body schema refuses any unknown field. A dry run only counts. The authenticated
 * operator and the reason travel in each signal, so they land on every case's timeline.
 */
export const bulkRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  for (const signal of ['pause', 'resume'] as const satisfies readonly BulkSignalName[]) {
    app.post(
      `/v1/bulk/${signal}`,
      {
        schema: {
          tags: ['bulk'],
          summary: signal === 'pause' ? 'Pause every open case matching a filter' : 'Resume every open case matching a filter',
          description:
            '`filter` selects open cases; every criterion given must hold (stage, state, segment, strategy, debtorType, outstanding range, loanIds). ' +
            'A raw visibility `query` is refused with 400. ' +
            'With dryRun the matching cases are only counted (200). Otherwise a batch job signals them: 200 with the counts when it finished within about 20 s, ' +
            'else 202 with its jobId (`temporal batch describe --job-id`). The authenticated operator (an `actor` in the body is ignored) and the reason are recorded on every case.',
          body: BulkRequest,
          response: { 200: BulkResult, 202: BulkResult, ...errorResponses(400, 401, 403, 409, 501, 503) },
        },
      },
      async (request, reply) => {
        if (!ctx.bulk) throw new ApiError('not_implemented', 'bulk operations are not wired into this API build');
        const { reason, dryRun, until } = request.body;
        const actor = request.auth.actor;
        if (signal === 'resume' && until !== undefined) throw new ApiError('invalid_request', 'until applies to pause only');
        // Everything is checked before Temporal is asked anything: the payload with the
        // workflow's own schema, the filter by the body schema.
        const payload = signal === 'pause' ? validate(Pause, { reason, until, actor }) : validate(Resume, { reason, actor });
        const filter = fromStructuredFilter(request.body.filter);

        let total: number | undefined;
        let result: Awaited<ReturnType<NonNullable<ApiContext['bulk']>>>;
        try {
          result = await ctx.bulk(ctx.client, { filter, signal, payload, dryRun, actor, reason, timeoutMs: BULK_WAIT_MS, onProgress: (p) => void (total = p.total) });
        } catch (error) {
          const message = error instanceof Error ? error.message : '';
          if (/another batch operation is still running/i.test(message)) throw new ApiError('batch_in_progress', message);
          const running = /batch operation (\S+) is still running/.exec(message);
          if (!running) throw error;
          request.log.info({ signal, jobId: running[1], actor }, 'bulk operation still running');
          if (total !== undefined) ctx.metrics.signalsSent.inc({ signal }, total);
          return reply.code(202).send({ matched: total ?? 0, jobId: running[1], dryRun: false, running: true });
        }
        request.log.info({ signal, dryRun: result.dryRun, matched: result.matched, jobId: result.jobId, actor }, 'bulk operation');
        // One signal per matching case, sent by the batch job.
        if (!result.dryRun) ctx.metrics.signalsSent.inc({ signal }, result.succeeded ?? result.matched);
        return reply.code(200).send(result);
      },
    );
  }
};

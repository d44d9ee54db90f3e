import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Logger } from 'pino';
import type { TemporalEnv } from '../config';
import { connectionOptions } from '../temporal-connection';

/**
 * Attempts per gRPC call while Temporal answers UNAVAILABLE (or another retryable status): 4
 * is about 1 s of backoff. The SDK's default, 10 attempts, is about 20 s, which held a
 * webhook sender for 20 s (a payment's update wait outlives the route deadline below)
 * before it heard the `503` it can act on.
 */
export const API_GRPC_ATTEMPTS = 4;

/**
 * The API's Temporal client, connected lazily: the API listens even when Temporal is down at
 * start (a server restart, a cluster upgrade) and answers `503 temporal_unavailable` until it
 * is back (spec section 13), rather than exiting. One probe at start says which it is.
 */
export function lazyTemporalClient(env: TemporalEnv, dataConverter: DataConverter, logger: Logger): Client {
  const interceptors = [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: API_GRPC_ATTEMPTS }))];
  const client = new Client({ connection: Connection.lazy({ ...connectionOptions(env), interceptors }), namespace: env.TEMPORAL_NAMESPACE, dataConverter });
  client.connection.withDeadline(Date.now() + 5_000, () => client.workflowService.getSystemInfo({})).then(
    () => logger.info({ address: env.TEMPORAL_ADDRESS }, 'Temporal reachable'),
    (err: unknown) => logger.warn({ address: env.TEMPORAL_ADDRESS, err }, 'Temporal not reachable yet: answering 503 temporal_unavailable until it is'),
  );
  return client;
}

/**
 * How long a request may wait for Temporal. Without a deadline the SDK retries an
 * unreachable server for about 20 s before the API can answer; a webhook sender or a
 * bank's batch job should hear `503 temporal_unavailable` (and Retry-After) well before
 * its own timeout. A request cut off this way may still have reached Temporal: every
 * write here is idempotent (case ID, paymentId), so the sender's retry is safe.
 */
export const TEMPORAL_DEADLINE_MS = 8_000;

/** Routes that walk many cases (bulk operations, reports) keep the SDK's own patience. */
const LONG_RUNNING_TAGS = new Set(['bulk', 'reports']);

/** Wraps every route handler registered after this call in a Temporal deadline. */
export function installTemporalDeadline(app: FastifyInstance, client: Client, deadlineMs = TEMPORAL_DEADLINE_MS): void {
  app.addHook('onRoute', (route) => {
    const tags = (route.schema as { tags?: string[] } | undefined)?.tags ?? [];
    if (tags.some((tag) => LONG_RUNNING_TAGS.has(tag))) return;
    const handler = route.handler as RouteHandlerMethod;
    route.handler = function withTemporalDeadline(request, reply) {
      return client.connection.withDeadline(Date.now() + deadlineMs, () => Promise.resolve(handler.call(this, request, reply)));
    };
  });
}

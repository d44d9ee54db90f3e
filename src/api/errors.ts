import { isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CaseError } from '../client/case-service';
import type { ApiMetrics } from './metrics';

/**
 * Every error the API returns has the spec's shape, `{"error":{"code","message","details?"}}`,
 * with a stable `code` integrators can branch on and the matching HTTP status.
 */

export const ERROR_STATUS = {
  invalid_request: 400,
  overdue_since_out_of_range: 400,
  unauthorized: 401,
  invalid_signature: 401,
  forbidden: 403,
  case_not_found: 404,
  not_found: 404,
  case_closed: 409,
  payment_conflict: 409,
  batch_in_progress: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  currency_mismatch: 422,
  policy_not_allowed: 422,
  mixed_currencies: 422,
  internal: 500,
  not_implemented: 501,
  temporal_unavailable: 503,
} as const;
export type ApiErrorCode = keyof typeof ERROR_STATUS;

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: `A stable code: ${Object.keys(ERROR_STATUS).join(', ')}` }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ description: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBody>;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** Seconds a client should wait before retrying a request Temporal could not take (spec section 13). */
export const TEMPORAL_RETRY_AFTER_SECONDS = 5;

export function errorBody(code: ApiErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** CaseError codes (the application layer's) map one to one onto API codes. */
const CASE_ERROR_CODES: Record<CaseError['code'], ApiErrorCode> = {
  invalid_request: 'invalid_request',
  case_not_found: 'case_not_found',
  currency_mismatch: 'currency_mismatch',
  case_closed: 'case_closed',
  overdue_since_out_of_range: 'overdue_since_out_of_range',
  policy_not_allowed: 'policy_not_allowed',
  payment_conflict: 'payment_conflict',
  temporal_unavailable: 'temporal_unavailable',
};

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_FAILED_PRECONDITION = 9;
const GRPC_UNAVAILABLE = 14;

/**
 * The server refuses an update while the case's last workflow task failed or timed out (a worker
 * killed in the middle of it, say) until a worker completes a retry of it: a passing state,
 * seen by scenario 1 of the fault matrix (webhooks right after a worker kill -9).
 */
const WORKFLOW_TASK_FAILING = /workflow task in failed state/i;

/** The gRPC error in the error or its causes (the SDK wraps them in ServiceError). */
function grpcError(error: unknown): { code: number; details: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (isGrpcServiceError(current)) return { code: current.code, details: current.details };
    current = current.cause;
  }
  return undefined;
}

/** True when the error (or one of its causes) says Temporal could not be reached in time. */
export function isTemporalUnavailable(error: unknown): boolean {
  const grpc = grpcError(error);
  return grpc?.code === GRPC_UNAVAILABLE || grpc?.code === GRPC_DEADLINE_EXCEEDED;
}

/** Fastify's own client errors: malformed JSON, body too large, unsupported media type. */
function fastifyClientError(error: FastifyError): ApiError | undefined {
  const status = error.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  if (status === 413) return new ApiError('payload_too_large', error.message);
  if (status === 415) return new ApiError('unsupported_media_type', error.message);
  return new ApiError('invalid_request', error.message, error.code ? { fastifyCode: error.code } : undefined);
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof CaseError) return new ApiError(CASE_ERROR_CODES[error.code], error.message, error.details);
  // An update (a payment) no worker answered in time: nothing is lost, the sender retries.
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return new ApiError('temporal_unavailable', 'the case did not answer in time (no worker running?); retry later');
  if (isTemporalUnavailable(error)) return new ApiError('temporal_unavailable', 'Temporal is not reachable; nothing was changed, retry later');
  const grpc = grpcError(error);
  if (grpc?.code === GRPC_FAILED_PRECONDITION && WORKFLOW_TASK_FAILING.test(grpc.details)) {
    return new ApiError('temporal_unavailable', 'the case is recovering from a failed or timed-out workflow task (a worker restart?); nothing was changed, retry later');
  }
  // Temporal refused what the caller asked, e.g. a visibility query naming an unknown attribute.
  if (grpc?.code === GRPC_INVALID_ARGUMENT) return new ApiError('invalid_request', `Temporal rejected the request: ${grpc.details}`);
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? 'body';
    const details = error.validation.map((issue) => ({ in: where, path: issue.instancePath, message: issue.message }));
    return new ApiError('invalid_request', `request ${where} is invalid: ${details.map((d) => `${d.path || '(root)'} ${d.message}`).join('; ')}`, details);
  }
  if (error instanceof Error && 'statusCode' in error) {
    const mapped = fastifyClientError(error as FastifyError);
    if (mapped) return mapped;
  }
  return new ApiError('internal', 'internal error');
}

export function createErrorHandler(metrics: ApiMetrics) {
  return function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const apiError = toApiError(error);
    metrics.errors.inc({ code: apiError.code });
    if (apiError.code === 'temporal_unavailable') reply.header('retry-after', String(TEMPORAL_RETRY_AFTER_SECONDS));
    if (apiError.code === 'internal' || apiError.code === 'temporal_unavailable') {
      // The error object only: never the request body (personal data).
      const detail = isResponseSerializationError(error) ? { err: error, issues: error.cause.issues } : { err: error };
      request.log.error(detail, 'request failed');
    } else {
      request.log.info({ code: apiError.code }, apiError.message);
    }
    return reply.code(apiError.status).send(errorBody(apiError.code, apiError.message, apiError.details));
  };
}

export function createNotFoundHandler(metrics: ApiMetrics) {
  return function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    metrics.errors.inc({ code: 'not_found' });
    return reply.code(404).send(errorBody('not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
  };
}

/** The error responses a route can produce, for its OpenAPI description. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorBody]));
}

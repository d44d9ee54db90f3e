import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/** Error bodies look the same everywhere: {"error":{"code","message","details"?}}. */

export type ErrorCode =
  | 'invalid_request'
  | 'missing_idempotency_key'
  | 'idempotency_conflict'
  | 'invalid_phone'
  | 'invalid_address'
  | 'unavailable'
  | 'rate_limited'
  | 'not_found'
  | 'internal';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export function errorBody(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const details = error.validation.map((issue) => ({ path: issue.instancePath, message: issue.message }));
    return reply.code(400).send(errorBody('invalid_request', `request ${error.validationContext ?? 'body'} is invalid`, details));
  }
  // Fastify's own 4xx: malformed JSON, empty body, unsupported media type, body too large.
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return reply.code(status).send(errorBody('invalid_request', error.message, { code: error.code }));
  }
  request.log.error({ err: error }, 'sandbox error');
  return reply.code(500).send(errorBody('internal', 'internal sandbox error'));
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.code(404).send(errorBody('not_found', `no route ${request.method} ${request.url}`));
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError, type ApiEnv } from '../config';
import { ApiError } from './errors';

/**
 * Operator authentication: `Authorization: Bearer <API_TOKEN>` on every route unless the
 * route opts out with `config: { access: 'public' }` (health, metrics, OpenAPI) or
 * `'webhook'` (the signed payment webhook, which checks its own HMAC signature).
 * Secure by default: a new route, or an unknown URL, needs the token.
 *
 * Without API_TOKEN the API refuses to start, unless API_DEV_MODE=true: then it logs a
 * loud warning and lets every request through as actor "dev".
 */

export type RouteAccess = 'operator' | 'public' | 'webhook';

export interface AuthContext {
  /** Who acted, recorded on the case's timeline for operator actions unless the body names someone. */
  actor: string;
  method: 'token' | 'dev_mode' | 'signature' | 'none';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    auth: AuthContext;
  }
}

export const TOKEN_ACTOR = 'api';
export const DEV_ACTOR = 'dev';

export type AuthMode = { kind: 'token'; token: string } | { kind: 'dev' };

/** Decides how requests are authenticated; throws ConfigError when the API must not start. */
export function resolveAuthMode(env: Pick<ApiEnv, 'API_TOKEN' | 'API_DEV_MODE'>): AuthMode {
  if (env.API_TOKEN) return { kind: 'token', token: env.API_TOKEN };
  if (env.API_DEV_MODE) return { kind: 'dev' };
  throw new ConfigError('invalid configuration: API_TOKEN is required (at least 16 characters); set API_DEV_MODE=true to run without authentication on a development machine');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time comparison of a presented token with the configured one (hashed first, so lengths match). */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export function installAuth(app: FastifyInstance, mode: AuthMode, logger: Logger): void {
  if (mode.kind === 'dev') {
    logger.warn(
      '!!! API_DEV_MODE=true and no API_TOKEN: operator endpoints are NOT authenticated. Never run like this outside a development machine. !!!',
    );
  }
  app.decorateRequest('auth', null as unknown as AuthContext);
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config?.access ?? 'operator';
    if (access === 'public') {
      request.auth = { actor: 'anonymous', method: 'none' };
      return;
    }
    if (access === 'webhook') {
      // The route verifies the signature once the raw body has been read.
      request.auth = { actor: 'payment-webhook', method: 'signature' };
      return;
    }
    if (mode.kind === 'dev') {
      request.auth = { actor: DEV_ACTOR, method: 'dev_mode' };
      return;
    }
    const presented = bearerToken(request.headers.authorization);
    if (presented === undefined || !tokenMatches(presented, mode.token)) reply.header('www-authenticate', 'Bearer realm="collections"');
    if (presented === undefined) throw new ApiError('unauthorized', 'missing bearer token: send Authorization: Bearer <API_TOKEN>');
    if (!tokenMatches(presented, mode.token)) throw new ApiError('unauthorized', 'invalid bearer token');
    request.auth = { actor: TOKEN_ACTOR, method: 'token' };
  });
}

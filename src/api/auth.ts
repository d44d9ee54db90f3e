import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError, type ApiEnv } from '../config';
import { authenticate, hasRole, operatorDirectory, OperatorsError, type Operator, type Role } from '../client/operators';
import { ApiError } from './errors';
import { minimumRole } from './route-roles';

/**
 * Operator authentication and roles (spec section 10): `Authorization: Bearer <token>` on
 * every route unless the route opts out with `config: { access: 'public' }` (health,
 * metrics, OpenAPI) or `'webhook'` (the signed payment webhook, which checks its own HMAC
 * signature). The token is looked up among the operators of OPERATORS_FILE (by its
 * SHA-256) plus API_TOKEN (operator `admin`, role `admin`); the route's minimum role comes
 * from the table in ./route-roles.ts. No or unknown token: 401; a role too low: 403
 * `forbidden`. Secure by default: a new route needs a token and, unlisted, `admin`.
 *
 * The authenticated operator's id is the actor recorded on the case: routes take it from
 * `request.auth.actor`, never from the body.
 *
 * Without operators the API refuses to start, unless API_DEV_MODE=true: then it logs a
 * loud warning and lets every request through as actor "dev" with role admin.
 */

export type RouteAccess = 'operator' | 'public' | 'webhook';

export interface AuthContext {
  /** The authenticated operator's id: the actor recorded on the case's timeline. */
  actor: string;
  role?: Role;
  method: 'token' | 'dev_mode' | 'signature' | 'none';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    auth: AuthContext;
  }
  interface FastifyInstance {
    /** Every operator route registered (`<METHOD> <url>`), to check against the role table. */
    operatorRoutes: Set<string>;
  }
}

export const DEV_ACTOR = 'dev';

export type AuthMode = { kind: 'operators'; operators: Operator[] } | { kind: 'dev' };

/** Decides how requests are authenticated; throws ConfigError when the API must not start. */
export function resolveAuthMode(env: Pick<ApiEnv, 'API_TOKEN' | 'API_DEV_MODE' | 'OPERATORS_FILE'>): AuthMode {
  let operators: Operator[];
  try {
    operators = operatorDirectory({ operatorsFile: env.OPERATORS_FILE, apiToken: env.API_TOKEN });
  } catch (error) {
    if (error instanceof OperatorsError) throw new ConfigError(`invalid configuration: OPERATORS_FILE ${error.message}`);
    throw error;
  }
  if (operators.length > 0) return { kind: 'operators', operators };
  if (env.API_DEV_MODE) return { kind: 'dev' };
  throw new ConfigError(
    'invalid configuration: no operators: set OPERATORS_FILE (YAML operators with roles) and/or API_TOKEN (at least 16 characters); set API_DEV_MODE=true to run without authentication on a development machine',
  );
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export function installAuth(app: FastifyInstance, mode: AuthMode, logger: Logger): void {
  if (mode.kind === 'dev') {
    logger.warn(
      '!!! API_DEV_MODE=true and no operators: operator endpoints are NOT authenticated. Never run like this outside a development machine. !!!',
    );
  }
  app.decorateRequest('auth', null as unknown as AuthContext);
  const operatorRoutes = new Set<string>();
  app.decorate('operatorRoutes', operatorRoutes);
  app.addHook('onRoute', (route) => {
    const access = (route.config as { access?: RouteAccess } | undefined)?.access ?? 'operator';
    if (access !== 'operator') return;
    for (const method of [route.method].flat()) if (method !== 'HEAD') operatorRoutes.add(`${method} ${route.url}`);
  });
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
      request.auth = { actor: DEV_ACTOR, role: 'admin', method: 'dev_mode' };
      return;
    }
    const presented = bearerToken(request.headers.authorization);
    const operator = presented === undefined ? undefined : authenticate(mode.operators, presented);
    if (!operator) {
      reply.header('www-authenticate', 'Bearer realm="collections"');
      throw new ApiError('unauthorized', presented === undefined ? 'missing bearer token: send Authorization: Bearer <token>' : 'invalid bearer token');
    }
    request.auth = { actor: operator.id, role: operator.role, method: 'token' };
    // An unknown URL only needs a valid token, so it answers 404 rather than 403.
    const url = request.routeOptions.url;
    if (url === undefined) return;
    const required = minimumRole(request.method, url);
    if (!hasRole(operator.role, required)) {
      throw new ApiError('forbidden', `operator ${operator.id} (role ${operator.role}) may not ${request.method} ${url}: it needs role ${required} or above`, {
        role: operator.role,
        requiredRole: required,
      });
    }
  });
}

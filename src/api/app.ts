import cors, { type FastifyCorsOptions } from '@fastify/cors';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { installAuth, resolveAuthMode } from './auth';
import type { ApiContext, ApiDeps } from './context';
import { createErrorHandler, createNotFoundHandler } from './errors';
import { createMetrics, instrument } from './metrics';
import { consoleRoutes } from '../console/routes';
import { bulkRoutes } from './routes/bulk';
import { caseRoutes } from './routes/cases';
import { codecRoutes } from './routes/codec';
import { opsRoutes } from './routes/ops';
import { paymentRoutes } from './routes/payments';
import { reportRoutes } from './routes/reports';
import { signalRoutes } from './routes/signals';
import { installTemporalDeadline } from './temporal-deadline';

export type { ApiDeps } from './context';

const API_VERSION = '1.0.0';

/**
 * Builds the HTTP API (spec section 5) from its dependencies; does not listen. Throws
 * ConfigError when no API_TOKEN is configured and API_DEV_MODE is not set.
 *
 * Request and response bodies are the zod schemas of src/shared and src/api/schemas,
 * which validate requests, serialize responses and generate /openapi.json alike.
 */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const authMode = resolveAuthMode(deps.env);
  const ctx: ApiContext = {
    ...deps,
    metrics: deps.metrics ?? createMetrics(),
    nowSeconds: deps.nowSeconds ?? (() => Math.floor(Date.now() / 1000)),
  };

  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps the app typed with the base logger.
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One line per request from the onResponse hook below instead (no headers, no bodies).
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: 'x-request-id',
    bodyLimit: 1024 * 1024,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(createErrorHandler(ctx.metrics));
  app.setNotFoundHandler(createNotFoundHandler(ctx.metrics));

  // JSON as usual (with prototype-poisoning protection), except that an empty body means
  // "no body" rather than an error: `POST .../resume` needs nothing.
  const defaultJsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') return done(null, undefined);
    void defaultJsonParser(request, body as string, done);
  });

  instrument(app, ctx.metrics);
  // Before authentication, so a browser's preflight to /codec is answered without a token.
  await app.register(cors, { delegator: (request, callback) => callback(null, codecCors(request.url, deps.env.CODEC_CORS_ORIGINS)) });
  installAuth(app, authMode, deps.logger);
  installTemporalDeadline(app, deps.client);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request completed',
    );
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Collections orchestrator API',
        version: API_VERSION,
        description:
          'Open and steer debt-collection cases running as Temporal workflows. Operator endpoints need `Authorization: Bearer <token>` of an operator ' +
          '(OPERATORS_FILE, or API_TOKEN as operator `admin`); each route needs a minimum role (viewer < collector < supervisor < admin): 403 `forbidden` below it. ' +
          'The actor recorded on a case is the authenticated operator. ' +
          'the payment webhook is signed with `X-Signature`; /healthz, /metrics and /openapi.json are open. ' +
          'Errors are `{"error":{"code","message","details?"}}`. Money is integer minor units with an ISO 4217 currency.',
      },
      tags: [
        { name: 'cases', description: 'Open, inspect and list cases' },
        { name: 'signals', description: 'Messages to an open case' },
        { name: 'payments', description: 'Repayments reported by integrations' },
        { name: 'reports', description: 'KPIs' },
        { name: 'bulk', description: 'Operations on every case matching a filter' },
        { name: 'ops', description: 'Health and metrics' },
        { name: 'codec', description: "Temporal's remote payload codec (decrypts case data for the CLI and the web UI)" },
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: "An operator's token (OPERATORS_FILE) or API_TOKEN" },
          webhookSignature: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Signature',
            description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> keyed with any of WEBHOOK_SECRETS (or WEBHOOK_SECRET)',
          },
        },
      },
      security: [{ bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  await app.register(opsRoutes, { ctx });
  await app.register(caseRoutes, { ctx });
  await app.register(signalRoutes, { ctx });
  await app.register(paymentRoutes, { ctx });
  await app.register(reportRoutes, { ctx });
  await app.register(bulkRoutes, { ctx });
  await app.register(codecRoutes, { ctx });
  await app.register(consoleRoutes, { ctx });
  return app;
}

/**
 * CORS only for /codec (the Temporal web UI calls it from the browser) and only for the
 * listed origins, with the headers the UI sends; every other route stays same-origin.
 */
function codecCors(url: string | undefined, origins: string[]): FastifyCorsOptions {
  if (!url?.startsWith('/codec/') || origins.length === 0) return { origin: false };
  return { origin: origins, methods: ['POST'], allowedHeaders: ['Content-Type', 'Authorization', 'X-Namespace'], credentials: true, maxAge: 600 };
}

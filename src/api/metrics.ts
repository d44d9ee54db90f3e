import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of the API, on a registry of its own (so several apps in one
 * process, as in tests, do not collide). Route labels are route templates
 * (`/v1/cases/:loanId`), never raw URLs, so loan ids do not explode cardinality.
 */
export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route' | 'status'>;
  signalsSent: Counter<'signal'>;
  errors: Counter<'code'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): ApiMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'collections_api_' });
  return {
    registry,
    requests: new Counter({
      name: 'collections_api_http_requests_total',
      help: 'HTTP requests handled, by method, route template and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'collections_api_http_request_duration_seconds',
      help: 'HTTP request latency in seconds, by method, route template and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    signalsSent: new Counter({
      name: 'collections_api_signals_sent_total',
      help: 'Signals sent to collection cases, by signal name',
      labelNames: ['signal'],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'collections_api_errors_total',
      help: 'Error responses, by stable error code',
      labelNames: ['code'],
      registers: [registry],
    }),
  };
}

/** Counts and times every response (including 401/404 ones) by route template. */
export function instrument(app: FastifyInstance, metrics: ApiMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route, status: String(reply.statusCode) };
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, reply.elapsedTime / 1000);
  });
}

import { CaseService } from '../client/case-service';
import { ApiEnv, ConfigError, parseEnv } from '../config';
import { createLogger } from '../logger';
import { connectClient } from '../temporal-connection';
import { buildApp } from './app';
import { resolveAuthMode } from './auth';
import type { BuildReport, BulkSignal } from './context';
import { createMetrics } from './metrics';

/**
 * `npm run api`: environment validated first (a missing API_TOKEN stops start-up unless
 * API_DEV_MODE=true), then Temporal, then HTTP. SIGINT/SIGTERM stop accepting requests,
 * let in-flight ones finish, close the Temporal connection and exit 0; a second signal
 * (or 10 s) forces the exit.
 */

const SHUTDOWN_GRACE_MS = 10_000;

/** The reporting and bulk modules, when this build has them. */
function optionalModules(): { reports?: BuildReport; bulk?: BulkSignal } {
  const load = <T>(path: string, name: string): T | undefined => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path) as Record<string, unknown>;
      return typeof mod[name] === 'function' ? (mod[name] as T) : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(path.slice(2))) return undefined;
      throw error;
    }
  };
  return { reports: load<BuildReport>('../client/reports', 'buildReport'), bulk: load<BulkSignal>('../client/bulk', 'bulkSignal') };
}

async function main(): Promise<void> {
  const env = parseEnv(ApiEnv);
  resolveAuthMode(env); // refuse to start before connecting to anything
  const logger = createLogger('api', env.LOG_LEVEL);
  const client = await connectClient(env);
  const { reports, bulk } = optionalModules();
  if (!reports) logger.warn('src/client/reports is not available: GET /v1/reports/summary answers 501');
  if (!bulk) logger.warn('src/client/bulk is not available: POST /v1/bulk/* answer 501');

  const app = await buildApp({
    cases: new CaseService(client, env.TASK_QUEUE),
    client,
    env,
    logger,
    reports,
    bulk,
    metrics: createMetrics({ defaultMetrics: true }),
  });
  const address = await app.listen({ port: env.PORT, host: env.HOST });
  logger.info({ url: address, namespace: env.TEMPORAL_NAMESPACE, taskQueue: env.TASK_QUEUE, auth: env.API_TOKEN ? 'bearer' : 'dev_mode' }, 'api listening');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'api stopping');
    const force = setTimeout(() => {
      logger.error('shutdown took too long: exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    app
      .close()
      .then(() => client.connection.close())
      .then(
        () => {
          logger.info('api stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'error while stopping');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    const message = error instanceof ConfigError ? error.message : `api: ${error instanceof Error ? error.message : String(error)}`;
    process.stderr.write(`${message}\n`);
    process.exit(1);
  });
}

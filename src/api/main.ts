import { bulkSignal } from '../client/bulk';
import { CaseService } from '../client/case-service';
import { archiveFromEnv } from '../archive/from-env';
import { buildReport } from '../client/reports';
import { ApiEnv, ConfigError, parseEnv, webhookSecrets } from '../config';
import { createLogger } from '../logger';
import { loadConfiguredPolicies } from '../policy/load';
import { payloadProtection } from '../temporal-connection';
import { buildApp } from './app';
import { resolveAuthMode } from './auth';
import { createMetrics } from './metrics';
import { lazyTemporalClient } from './temporal-deadline';

/**
 * `npm run api`: environment validated first (no webhook secret, or no operators unless
 * API_DEV_MODE=true, stops start-up), then HTTP; Temporal need not be up (503 until it is). SIGINT/SIGTERM stop accepting requests,
 * let in-flight ones finish, close the Temporal connection and exit 0; a second signal
 * (or 10 s) forces the exit.
 */

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const env = parseEnv(ApiEnv);
  // Refuse to start before connecting to anything.
  webhookSecrets(env);
  resolveAuthMode(env);
  const protection = payloadProtection(env);
  const logger = createLogger('api', env.LOG_LEVEL);
  if (protection.activeKeyId) logger.info(protection.summary);
  else logger.warn(protection.summary);
  // The same policies as the worker's, so a case is refused here rather than failing there.
  const policies = loadConfiguredPolicies(env);
  const client = lazyTemporalClient(env, protection.dataConverter, logger);
  const archive = await archiveFromEnv(env, logger);

  const app = await buildApp({
    archive,
    cases: new CaseService(client, env.TASK_QUEUE, policies),
    client,
    env,
    logger,
    reports: buildReport,
    bulk: bulkSignal,
    metrics: createMetrics({ defaultMetrics: true }),
    payloadCodecs: protection.dataConverter.payloadCodecs ?? [],
  });
  const address = await app.listen({ port: env.PORT, host: env.HOST });
  logger.info({ url: address, namespace: env.TEMPORAL_NAMESPACE, taskQueue: env.TASK_QUEUE, auth: env.API_TOKEN || env.OPERATORS_FILE ? 'operators' : 'dev_mode' }, 'api listening');

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
      .then(() => archive?.close())
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

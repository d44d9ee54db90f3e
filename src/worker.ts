import type { DataConverter } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities, type ActivityDeps } from './activities';
import { createIntakeActivities, type IntakeActivityDeps } from './activities/intake';
import { archiveFromEnv } from './archive/from-env';
import { CaseService } from './client/case-service';
import { createHttpProviderGateway } from './activities/http-provider-gateway';
import { parseEnv, WorkerEnv } from './config';
import { createLogger } from './logger';
import { calendarWarnings } from './policy/calendars';
import { loadConfiguredPolicies } from './policy/load';
import { workflowBundlerOptions } from './workflow-bundle';
import { connectClient, connectionOptions, payloadProtection } from './temporal-connection';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/** Routes the SDK's logs (worker internals and workflow `log` via sinks) to pino. Once per process, before any connection. */
export function installRuntimeLogging(logger: Logger): void {
  const level = (logger.level === 'trace' ? 'TRACE' : logger.level === 'debug' ? 'DEBUG' : logger.level === 'warn' ? 'WARN' : logger.level === 'error' ? 'ERROR' : 'INFO') as LogLevel;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => logger[PINO_LEVEL[entry.level]]({ ...entry.meta }, entry.message)),
  });
}

export interface CollectionWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** The daily intake sweep's activities (they open cases, so they need a client). */
  intake?: IntakeActivityDeps;
  /** A prebundled workflow file (production, tests); otherwise the workflows are bundled at start. */
  workflowBundlePath?: string;
  /** Cases kept in memory; 0 replays every workflow task from history (the determinism test uses it). */
  maxCachedWorkflows?: number;
  /** The payload codec (src/data-converter.ts); must match every client of the namespace. */
  dataConverter?: DataConverter;
}

export async function createCollectionWorker(options: CollectionWorkerOptions): Promise<Worker> {
  const workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> = options.workflowBundlePath
    ? { workflowBundle: { codePath: options.workflowBundlePath } }
    : { workflowsPath: require.resolve('./workflows'), bundlerOptions: workflowBundlerOptions };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: { ...createActivities(options.deps), ...(options.intake ? createIntakeActivities(options.intake) : {}) },
    ...workflowSource,
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
  });
}

async function main(): Promise<void> {
  const env = parseEnv(WorkerEnv);
  const logger = createLogger('worker', env.LOG_LEVEL);
  // POLICY_FILE is the default; the shipped policies stay selectable by a case's policyId.
  // A test-only POLICY_FILE without ALLOW_TEST_POLICIES=true stops start-up here, saying why.
  const policies = loadConfiguredPolicies(env);
  if (env.ALLOW_TEST_POLICIES) logger.warn('ALLOW_TEST_POLICIES=true: test-only policies (compressed time, relaxed rules) may be used; never for real debtors');
  for (const id of policies.ids()) for (const warning of calendarWarnings(policies.byId(id), new Date())) logger.warn(warning);
  const protection = payloadProtection(env);
  if (protection.activeKeyId) logger.info(protection.summary);
  else logger.warn(protection.summary);
  installRuntimeLogging(logger);
  const gateway = createHttpProviderGateway(
    { sms: env.SMS_PROVIDER_URL, voice: env.VOICE_PROVIDER_URL, letter: env.LETTER_PROVIDER_URL, legal: env.LEGAL_PROVIDER_URL, agency: env.AGENCY_PROVIDER_URL },
    { timeoutMs: 10_000 },
  );
  const archive = await archiveFromEnv(env, logger);
  const connection = await NativeConnection.connect(connectionOptions(env));
  const client = await connectClient(env, protection.dataConverter);
  const worker = await createCollectionWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TASK_QUEUE,
    deps: { gateway, policies, logger, archive },
    intake: { cases: new CaseService(client, env.TASK_QUEUE, policies), logger },
    workflowBundlePath: process.env.WORKFLOW_BUNDLE_PATH,
    maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
    dataConverter: protection.dataConverter,
  });
  logger.info({ taskQueue: env.TASK_QUEUE, namespace: env.TEMPORAL_NAMESPACE, policy: env.POLICY_FILE }, 'worker started');
  // Worker.run() returns after SIGINT/SIGTERM once in-flight tasks are done.
  await worker.run();
  await client.connection.close();
  await connection.close();
  await archive?.close();
  logger.info('worker stopped');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`worker: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

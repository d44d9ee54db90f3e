import { createLogger } from '../logger';
import { z } from 'zod';
import { startSandbox } from './server';

/** `npm run sandbox`: the provider sandbox as a standalone process, configured from env. */

// An empty variable counts as unset, so `SANDBOX_PORT= npm run sandbox` gets the default.
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);
const fromEnv = <T extends z.ZodType>(schema: T) => z.preprocess(unsetIfEmpty, schema);

const Env = z.object({
  SANDBOX_PORT: fromEnv(z.coerce.number().int().min(0).max(65_535).default(4010)),
  SANDBOX_HOST: fromEnv(z.string().min(1).default('127.0.0.1')),
  SANDBOX_ERROR_RATE: fromEnv(z.coerce.number().min(0).max(1).default(0)),
  SANDBOX_LATENCY_MS: fromEnv(z.coerce.number().int().min(0).max(600_000).default(0)),
  SANDBOX_FAIL_FIRST: fromEnv(z.coerce.number().int().min(0).default(0)),
  SANDBOX_LEDGER_FILE: fromEnv(z.string().min(1).optional()),
  LOG_LEVEL: fromEnv(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
});

function readEnv(): z.infer<typeof Env> {
  const parsed = Env.safeParse(process.env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  process.stderr.write(`Invalid sandbox configuration:\n${lines.join('\n')}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const env = readEnv();
  const logger = createLogger('sandbox', env.LOG_LEVEL);

  const sandbox = await startSandbox({
    port: env.SANDBOX_PORT,
    host: env.SANDBOX_HOST,
    faults: {
      errorRate: env.SANDBOX_ERROR_RATE,
      latencyMs: env.SANDBOX_LATENCY_MS,
      failFirstAttempts: env.SANDBOX_FAIL_FIRST,
    },
    logger,
    ledgerFile: env.SANDBOX_LEDGER_FILE,
  });
  logger.info(
    { url: sandbox.url, errorRate: env.SANDBOX_ERROR_RATE, latencyMs: env.SANDBOX_LATENCY_MS, failFirst: env.SANDBOX_FAIL_FIRST, ledgerFile: env.SANDBOX_LEDGER_FILE ?? null },
    'provider sandbox listening',
  );

  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'provider sandbox shutting down');
    sandbox.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'provider sandbox did not close cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`provider sandbox failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

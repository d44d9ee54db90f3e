/**
 * The payment webhook under load, in a process of its own (forked by bench/webhook.ts) so
 * the load generator does not share its event loop. BENCH_WEBHOOK_HANDLER picks:
 *   - `api`: the real HTTP API (buildApp, every hook, zod, CaseService.recordPayment);
 *   - `minimal`: the least any correct handler must do: read the body, verify the HMAC,
 *     parse it, send the same `applyPayment` update to the case, answer 202 once accepted.
 * Configuration comes from the usual API environment (parseEnv(ApiEnv)); the port is
 * chosen by the OS on 127.0.0.1 and reported over IPC.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { buildApp } from '../src/api/app';
import { SIGNATURE_HEADER, verifySignature } from '../src/api/signature';
import { CaseService } from '../src/client/case-service';
import { ApiEnv, parseEnv, webhookSecrets } from '../src/config';
import { caseWorkflowId } from '../src/shared/ids';
import { applyPaymentUpdate } from '../src/shared/messages';
import { loadConfiguredPolicies } from '../src/policy/load';
import { connectClient } from '../src/temporal-connection';

async function main(): Promise<void> {
  const env = parseEnv(ApiEnv);
  const client = await connectClient(env);
  const secrets = webhookSecrets(env);
  let close: () => Promise<void>;
  let port: number;
  if (process.env['BENCH_WEBHOOK_HANDLER'] === 'api') {
    const app = await buildApp({ cases: new CaseService(client, env.TASK_QUEUE, loadConfiguredPolicies(env)), client, env, logger: pino({ level: 'silent' }) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
    close = () => app.close();
  } else {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks);
        const answer = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        if (!verifySignature({ header: req.headers[SIGNATURE_HEADER], rawBody, secrets }).ok) return answer(401, { error: { code: 'invalid_signature', message: 'bad signature' } });
        const { loanId, ...payment } = JSON.parse(rawBody.toString('utf8')) as { loanId: string } & Record<string, unknown>;
        client.workflow
          .getHandle(caseWorkflowId(loanId))
          .executeUpdate(applyPaymentUpdate, { args: [payment as never] })
          .then(
            () => answer(202, { accepted: true }),
            (error: unknown) => answer(503, { error: { code: 'unavailable', message: String(error) } }),
          );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  }
  process.send?.({ type: 'listening', port });
  process.on('disconnect', () => {
    void close()
      .then(() => client.connection.close())
      .finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`webhook-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

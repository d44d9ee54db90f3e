import { Client } from '@temporalio/client';
import pino from 'pino';
import { buildApp } from './src/api/app';
import { CaseService } from './src/client/case-service';
import { ApiEnv, parseEnv } from './src/config';
(async () => {
  const client = new Client();
  const env = parseEnv(ApiEnv, { WEBHOOK_SECRET: 'x'.repeat(32), API_TOKEN: 't'.repeat(32) });
  const app = await buildApp({ cases: new CaseService(client, 'q'), client, env, logger: pino({ level: 'silent' }) });
  const r = await app.inject({ method: 'GET', url: '/openapi.json' });
  console.log(r.statusCode);
  require('fs').writeFileSync('/tmp/openapi.json', r.body);
  const doc = JSON.parse(r.body);
  console.log(Object.keys(doc.paths));
  console.log(JSON.stringify(doc.paths['/v1/cases'].get, null, 1).slice(0, 3000));
  await app.close();
  await client.connection.close();
})();

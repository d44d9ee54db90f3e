/**
 * Demo seeding, run by `npm start` once the stack is up (or alone: `npx tsx scripts/demo.ts`).
 *
 * Opens five demo cases on the fast policy (one second per day, so each plays out in about
 * a minute) through CaseService, the same path as the API and the CLI:
 *
 *   DEMO-PL-0001  individual, personal loan CNY 80,000.00: pays in full mid-ladder (8 s in,
 *                 while collectors are calling), then gets a satisfaction survey
 *   DEMO-CC-0002  individual, credit card CNY 120,000.00: never pays; SMS, calls, demand
 *                 letter, lawyer's letter, then litigation is filed
 *   DEMO-SB-0003  individual, CNY 1,500.00 (small balance): placed with a collection agency,
 *                 never sued
 *   DEMO-CL-0004  company with two guarantors, CNY 2,500,000.00: letters first (copies to the
 *                 guarantors), then calls, lawyer's letter and litigation
 *   DEMO-PL-0005  individual with an invalid phone number: the SMS provider refuses it (422),
 *                 the case asks for a contact refresh, and the demo sends a corrected number
 *
 * Idempotent: a loan that already has a case (open or closed) is left alone, so re-running
 * opens nothing new. Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TASK_QUEUE.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { CaseService } from '../src/client/case-service';
import { CaseEnv, parseEnv } from '../src/config';
import { loadConfiguredPolicies } from '../src/policy/load';
import { createLogger } from '../src/logger';
import { caseWorkflowId } from '../src/shared/ids';
import type { CaseInput } from '../src/shared/schemas';
import { connectClient } from '../src/temporal-connection';

const POLICY = 'fast';
const shanghai = (line1: string, postalCode: string) => ({ line1, city: 'Shanghai', postalCode, country: 'CN' });
const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());

const DEMO_CASES: Array<{ input: CaseInput; story: string }> = [
  {
    story: 'pays in full mid-ladder',
    input: {
      loanId: 'DEMO-PL-0001',
      product: 'personal_loan',
      reason: 'overdue',
      debtor: { id: 'C-DEMO-1', type: 'individual', name: '王芳 (Wang Fang)', phone: '+8613800138001', email: 'wang.fang@example.cn', address: shanghai('88 Century Avenue, Apt 1203', '200120'), timezone: 'Asia/Shanghai', locale: 'zh-CN' },
      currency: 'CNY',
      amountDueMinor: 8_000_000,
      overdueSince: today,
      history: { previousDelinquencies: 0, brokenPromises: 0, monthsOnBook: 36 },
      policyId: POLICY,
    },
  },
  {
    story: 'reaches litigation',
    input: {
      loanId: 'DEMO-CC-0002',
      product: 'credit_card',
      reason: 'overdue',
      debtor: { id: 'C-DEMO-2', type: 'individual', name: 'María José Fernández', phone: '+8613800138002', address: shanghai('300 Huaihai Middle Road', '200021'), timezone: 'Asia/Shanghai', locale: 'es-ES' },
      guarantors: [{ name: 'Carlos Fernández', phone: '+8613900139002', address: shanghai('15 Wulumuqi Road', '200031') }],
      currency: 'CNY',
      amountDueMinor: 12_000_000,
      overdueSince: today,
      history: { previousDelinquencies: 2, brokenPromises: 1, monthsOnBook: 14 },
      policyId: POLICY,
    },
  },
  {
    story: 'small balance, placed with an agency',
    input: {
      loanId: 'DEMO-SB-0003',
      product: 'credit_card',
      reason: 'overdue',
      debtor: { id: 'C-DEMO-3', type: 'individual', name: 'Liu Yang', phone: '+8613800138003', address: shanghai('7 Jianguo Road', '200022'), timezone: 'Asia/Shanghai' },
      currency: 'CNY',
      amountDueMinor: 150_000,
      overdueSince: today,
      policyId: POLICY,
    },
  },
  {
    story: 'corporate borrower with guarantors',
    input: {
      loanId: 'DEMO-CL-0004',
      product: 'corporate_loan',
      reason: 'overdue',
      debtor: { id: 'E-DEMO-4', type: 'corporate', name: 'Shanghai Hengda Trading Co., Ltd.', phone: '+862150001201', email: 'finance@hengda-trading.example.cn', address: shanghai('18F, 1 Lujiazui Ring Road', '200120'), timezone: 'Asia/Shanghai' },
      guarantors: [
        { name: 'Wang Jianguo', phone: '+8613900139201', address: shanghai('66 Xinhua Road', '200052') },
        { name: 'Shanghai Hengda Holdings Co., Ltd.', phone: '+862150001299', address: shanghai('18F, 1 Lujiazui Ring Road', '200120') },
      ],
      currency: 'CNY',
      amountDueMinor: 250_000_000,
      overdueSince: today,
      history: { previousDelinquencies: 0, brokenPromises: 0, monthsOnBook: 60 },
      policyId: POLICY,
    },
  },
  {
    story: 'invalid phone: contact refresh',
    input: {
      loanId: 'DEMO-PL-0005',
      product: 'personal_loan',
      reason: 'overdue',
      // Not E.164: the SMS provider refuses it with 422 invalid_phone.
      debtor: { id: 'C-DEMO-5', type: 'individual', name: 'João Pereira da Silva', phone: '138-0013-8005', address: shanghai('1000 Lujiazui Ring Road', '200120'), timezone: 'Asia/Shanghai' },
      currency: 'CNY',
      amountDueMinor: 4_500_000,
      overdueSince: today,
      policyId: POLICY,
    },
  },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function exists(cases: CaseService, loanId: string): Promise<boolean> {
  try {
    await cases.client.workflow.getHandle(caseWorkflowId(loanId)).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

async function main(): Promise<void> {
  const env = parseEnv(CaseEnv);
  const logger = createLogger('demo', env.LOG_LEVEL);
  const client = await connectClient(env);
  const cases = new CaseService(client, env.TASK_QUEUE, loadConfiguredPolicies(env));
  const opened = new Set<string>();
  try {
    for (const { input, story } of DEMO_CASES) {
      if (await exists(cases, input.loanId)) {
        logger.info({ loanId: input.loanId }, 'demo case exists already; left alone');
        continue;
      }
      await cases.open(input);
      opened.add(input.loanId);
      logger.info({ loanId: input.loanId, story }, 'demo case opened');
    }

    const followUps: Array<Promise<void>> = [];
    if (opened.has('DEMO-PL-0001')) {
      followUps.push(
        (async () => {
          await sleep(8_000); // "day 8": SMS sent, collectors calling
          const { amountDueMinor, currency } = DEMO_CASES[0]!.input;
          await cases.recordPayment('DEMO-PL-0001', { paymentId: 'DEMO-PAY-0001', amountMinor: amountDueMinor, currency, receivedAt: new Date().toISOString(), channel: 'bank_transfer' });
          logger.info({ loanId: 'DEMO-PL-0001' }, 'demo payment sent: paid in full');
        })(),
      );
    }
    if (opened.has('DEMO-PL-0005')) {
      followUps.push(
        (async () => {
          for (let i = 0; i < 40; i += 1) {
            const status = await cases.status('DEMO-PL-0005').catch(() => undefined);
            if (status?.awaitingContactRefresh?.includes('phone')) {
              await sleep(2_000);
              await cases.signal('DEMO-PL-0005', 'contactUpdated', { phone: '+8613800138005' });
              logger.info({ loanId: 'DEMO-PL-0005' }, 'demo contact refresh: corrected phone number sent');
              return;
            }
            await sleep(500);
          }
          logger.warn({ loanId: 'DEMO-PL-0005' }, 'the invalid phone was not flagged within 20 s; is the worker running?');
        })(),
      );
    }
    await Promise.all(followUps);

    const opening = opened.size > 0 ? `opened ${opened.size} demo case${opened.size === 1 ? '' : 's'}` : 'the demo cases exist already; nothing opened';
    process.stdout.write(
      [
        `Demo: ${opening}. Each plays out in about a minute on the fast policy.`,
        ...DEMO_CASES.map(({ input, story }) => `  ${input.loanId.padEnd(14)} ${story}`),
        '',
        'Try:',
        '  npx collections list --query "LoanId STARTS_WITH \'DEMO-\'"',
        '  npx collections timeline DEMO-PL-0005',
        '  npx collections evidence DEMO-CC-0002 --out evidence.html',
        '  npx collections report',
        '',
      ].join('\n'),
    );
  } finally {
    await client.connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

import { CaseError } from '../../client/errors';
import { parseMajorUnits } from '../../shared/money';
import { instantOption, loanIdArg } from '../arguments';
import * as render from '../render';
import type { CommandContext } from '../session';

/** One case at a time: `status`, `timeline`, `pay`, `pause`, `resume`. */

export async function status(cli: CommandContext, loanId: string): Promise<void> {
  const result = await (await cli.session.cases()).status(loanIdArg(loanId));
  if (cli.json) cli.printJson(result);
  else cli.print(render.renderStatus(result));
}

export async function timeline(cli: CommandContext, loanId: string): Promise<void> {
  const events = await (await cli.session.cases()).timeline(loanIdArg(loanId));
  if (cli.json) cli.printJson(events);
  else cli.print(render.renderTimeline(events));
}

export async function pay(cli: CommandContext, loanIdRaw: string, options: { amount: string; ref: string; currency?: string; receivedAt?: string; channel?: string }): Promise<void> {
  cli.actor('collector'); // payments by hand are a collector's when an operator is named
  const loanId = loanIdArg(loanIdRaw);
  const cases = await cli.session.cases();
  const { memo } = await cases.openHandle(loanId);
  const caseCurrency = memo?.currency ?? (await cases.status(loanId)).currency;
  const currency = options.currency?.trim().toUpperCase() ?? caseCurrency;
  if (currency !== caseCurrency) throw new CaseError('currency_mismatch', `payment currency ${currency} does not match the case currency ${caseCurrency}`);
  const amountMinor = parseMajorUnits(options.amount, currency);
  if (amountMinor <= 0) throw new CaseError('invalid_request', `--amount must be greater than 0 (got ${options.amount})`);
  const payment = {
    paymentId: options.ref,
    amountMinor,
    currency,
    receivedAt: options.receivedAt ? instantOption(options.receivedAt, '--received-at') : new Date().toISOString(),
    ...(options.channel ? { channel: options.channel } : {}),
  };
  const result = await cases.recordPayment(loanId, payment);
  if (cli.json) cli.printJson({ loanId, ...payment, duplicate: result.duplicate });
  else if (result.duplicate) cli.print(`Payment ${payment.paymentId} was already recorded for loan ${loanId}; it counts once.`);
  else cli.print(`Payment ${payment.paymentId} of ${render.money(amountMinor, currency)} recorded for loan ${loanId}.`);
}

export async function pause(cli: CommandContext, loanIdRaw: string, options: { reason: string; until?: string }): Promise<void> {
  const loanId = loanIdArg(loanIdRaw);
  const payload = { reason: options.reason, actor: cli.actor('collector'), ...(options.until ? { until: instantOption(options.until, '--until') } : {}) };
  await (await cli.session.cases()).signal(loanId, 'pause', payload);
  if (cli.json) cli.printJson({ loanId, signal: 'pause', ...payload });
  else cli.print(`Loan ${loanId} paused: ${payload.reason}.`);
}

export async function resume(cli: CommandContext, loanIdRaw: string, options: { reason?: string }): Promise<void> {
  const loanId = loanIdArg(loanIdRaw);
  const payload = { actor: cli.actor('collector'), ...(options.reason ? { reason: options.reason } : {}) };
  await (await cli.session.cases()).signal(loanId, 'resume', payload);
  if (cli.json) cli.printJson({ loanId, signal: 'resume', ...payload });
  else cli.print(`Loan ${loanId} resumed.`);
}

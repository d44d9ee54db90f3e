import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import session from '@fastify/session';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiContext } from '../api/context';
import { CaseError } from '../client/case-service';
import { buildReportWithCurrency, collectCaseRows, ReportError, summarize } from '../client/reports';
import { MoneyFormatError, parseMajorUnits } from '../shared/money';
import { ReviewAction, Stage, type CaseStatus } from '../shared/schemas';
import { consoleAssets } from './assets';
import { caseBody } from './case-page';
import { chartData } from './chart-data';
import { html } from './html';
import { page } from './layout';
import { can, CONSOLE_ACTIONS, operatorForToken, type ConsoleAction, type Operator, type OperatorLookup } from './operators';
import { currencyPrompt, portfolioBody } from './portfolio-page';
import { queueBody } from './queue-page';
import { recoveryCurve } from './recovery-curve';
import { workQueue } from './work-queue';

/**
 * The collections console (spec section 12): server-rendered pages under /console on the
 * API's port. Routes opt out of the API's bearer check (`access: 'public'`) and check the
 * console's own session instead: a sign-in with an operator token sets an HttpOnly,
 * SameSite=Strict session cookie (scoped to /console) holding the operator, never the token.
 * Actions go through the same CaseService as the HTTP API.
 */

declare module 'fastify' {
  interface Session {
    operator?: Operator;
  }
}

export interface ConsoleOptions {
  ctx: ApiContext;
  /** Token -> operator; default `operatorForToken(ctx.env)`. */
  operators?: OperatorLookup;
}

const ConsoleEnv = z.object({
  /** Where operators open the Temporal UI (links only; the console never calls it). */
  TEMPORAL_UI_URL: z.url().default('http://localhost:8233'),
  /** `true` when operators reach the console over HTTPS (a TLS proxy in front): the cookie gets the Secure flag. */
  CONSOLE_SECURE_COOKIE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});

const SESSION_COOKIE = 'collections_console';
const SESSION_HOURS = 8;
const PUBLIC = { access: 'public' as const };
const HIDDEN = { hide: true };

const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const FilterValue = z.string().trim().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional().catch(undefined);
const PortfolioQuery = z.object({
  segment: FilterValue,
  strategy: FilterValue,
  stage: Stage.optional().catch(undefined),
  currency: z.string().regex(/^[A-Z]{3}$/).optional().catch(undefined),
});
const LoginBody = z.object({ token: z.string().trim().min(1, 'enter your operator token').max(512) });
const Amount = z.string().trim().min(1, 'enter an amount');
const IsoDay = z.iso.date('a date (YYYY-MM-DD)');
const ACTION_BODIES = {
  pay: z.object({ amount: Amount, reference: z.string().trim().min(1, 'enter the payment reference').max(128) }),
  pause: z.object({ reason: z.string().trim().min(1, 'give a reason').max(500) }),
  resume: z.object({ reason: z.string().trim().max(500).optional() }),
  promise: z.object({ amount: Amount, dueDate: IsoDay }),
  settle: z.object({ amount: Amount, validUntil: IsoDay }),
  'resolve-dispute': z.object({ upheld: z.enum(['true', 'false']), note: z.string().trim().max(500).optional() }),
  'resolve-review': z.object({ action: ReviewAction, note: z.string().trim().min(1, 'give a note for the decision').max(1000) }),
} satisfies Record<ConsoleAction, z.ZodType>;
const ActionParams = z.object({ loanId: z.string().min(1).max(64), action: z.enum(CONSOLE_ACTIONS) });

const NOTICES: Record<ConsoleAction, string> = {
  pay: 'Payment sent to the case.',
  pause: 'Pause sent to the case.',
  resume: 'Resume sent to the case.',
  promise: 'Promise sent to the case.',
  settle: 'Settlement offer sent to the case.',
  'resolve-dispute': 'Dispute resolution sent to the case.',
  'resolve-review': 'Review decision sent to the case.',
};

const ERROR_STATUS: Record<string, number> = { invalid_request: 400, case_not_found: 404, currency_mismatch: 422, case_closed: 409, forbidden: 403 };

export const consoleRoutes: FastifyPluginAsync<ConsoleOptions> = async (app, { ctx, operators = operatorForToken(ctx.env) }) => {
  const env = ConsoleEnv.parse(process.env);
  const temporalUiUrl = `${env.TEMPORAL_UI_URL.replace(/\/$/, '')}/namespaces/${encodeURIComponent(ctx.client.options.namespace)}`;

  await app.register(cookie);
  await app.register(formbody);
  // Sessions live in this process's memory (one API process per deployment); a restart signs everyone out.
  await app.register(session, {
    secret: randomBytes(32).toString('hex'),
    cookieName: SESSION_COOKIE,
    saveUninitialized: false,
    // Not `secure: 'auto'`: over plain HTTP the plugin would then downgrade SameSite to Lax.
    cookie: { path: '/console', httpOnly: true, sameSite: 'strict', secure: env.CONSOLE_SECURE_COOKIE, maxAge: SESSION_HOURS * 3600 * 1000 },
  });

  app.addHook('onSend', async (request, reply) => {
    if (!request.url.startsWith('/console')) return;
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });

  const send = async (reply: FastifyReply, status: number, render: (assets: Awaited<ReturnType<typeof consoleAssets>>) => string) => {
    const assets = await consoleAssets();
    return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(render(assets));
  };

  /** The signed-in operator, or a redirect to the sign-in page. */
  const operatorOf = (request: FastifyRequest, reply: FastifyReply): Operator | undefined => {
    const operator = request.session.get('operator');
    if (!operator) void reply.redirect('/console/login', 303);
    return operator;
  };

  const errorPage = (reply: FastifyReply, operator: Operator | undefined, status: number, code: string, message: string) =>
    send(reply, status, (assets) => page({ title: 'Error', assets, operator, section: 'case', body: html`<h1>Something went wrong</h1><p class="error" role="alert" data-code="${code}">${message}</p><p><a href="/console">Back to the portfolio</a></p>` }));

  app.get('/console/assets/:name', { config: PUBLIC, schema: HIDDEN }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const asset = (await consoleAssets()).byName.get(name);
    if (!asset) return reply.code(404).type('text/plain').send('not found');
    return reply.type(asset.contentType).header('cache-control', 'public, max-age=31536000, immutable').send(asset.body);
  });

  const loginPage = (reply: FastifyReply, status: number, error?: string) =>
    send(reply, status, (assets) =>
      page({
        title: 'Sign in',
        assets,
        section: 'login',
        body: html`<form class="login" method="post" action="/console/login">
  <h1>Sign in</h1>
  ${error ? html`<p class="error" role="alert" data-testid="login-error">${error}</p>` : ''}
  <label>Operator token<input name="token" type="password" autocomplete="current-password" required autofocus></label>
  <button class="primary" type="submit">Sign in</button>
</form>`,
      }),
    );

  app.get('/console/login', { config: PUBLIC, schema: HIDDEN }, async (_request, reply) => loginPage(reply, 200));

  app.post('/console/login', { config: PUBLIC, schema: HIDDEN }, async (request, reply) => {
    const body = LoginBody.safeParse(request.body ?? {});
    // A refused form comes back as a page that says why, with 200: Chromium logs every 4xx page load as a console error.
    if (!body.success) return loginPage(reply, 200, body.error.issues[0]?.message ?? 'enter your operator token');
    const operator = operators(body.data.token);
    if (!operator) {
      request.log.warn({ event: 'console_sign_in_refused' }, 'console sign-in refused');
      return loginPage(reply, 200, 'That token is not an operator token.');
    }
    // A fresh session id on sign-in (no session fixation).
    await request.session.regenerate();
    request.session.set('operator', operator);
    request.log.info({ event: 'console_sign_in', operator: operator.id, role: operator.role }, 'console sign-in');
    return reply.redirect('/console', 303);
  });

  app.post('/console/logout', { config: PUBLIC, schema: HIDDEN }, async (request, reply) => {
    await request.session.destroy();
    return reply.redirect('/console/login', 303);
  });

  app.get('/console', { config: PUBLIC, schema: HIDDEN }, async (request, reply) => {
    const operator = operatorOf(request, reply);
    if (!operator) return reply;
    const filters = PortfolioQuery.parse(request.query ?? {});
    // The report service's rows, exactly what `collections report [--currency]` reads.
    let collected: Awaited<ReturnType<typeof collectCaseRows>>;
    try {
      collected = await collectCaseRows(ctx.client, { currency: filters.currency });
    } catch (error) {
      if (!(error instanceof ReportError)) throw error;
      // Several currencies: money cannot be added up across them, so the manager picks one.
      return send(reply, 200, (assets) => page({ title: 'Portfolio', assets, operator, section: 'portfolio', body: currencyPrompt(error.message) }));
    }
    const { rows, currency } = collected;
    const chosen = rows.filter(
      (r) =>
        (!filters.segment || r.segment === filters.segment) &&
        (!filters.strategy || r.strategy === filters.strategy) &&
        (!filters.stage || r.stage === filters.stage),
    );
    // Unfiltered, the tiles are the report service's own (from the case archive when there is
    // one, as `collections report`); a filter is applied to the visibility rows.
    const filtered = Boolean(filters.segment || filters.strategy || filters.stage);
    const report = filtered ? summarize(chosen) : (await buildReportWithCurrency(ctx.client, { currency: filters.currency }, ctx.archive)).report;
    // Payment dates come from the archive when there is one: a database read per case instead of
    // a workflow query, and every payment (the case's own timeline keeps only its recent window).
    const archive = ctx.archive;
    const timelineOf = archive ? async (loanId: string) => (await archive.caseRecord(loanId))?.timeline ?? [] : (loanId: string) => ctx.cases.timeline(loanId);
    const curve = await recoveryCurve(chosen, timelineOf);
    const distinct = (values: Array<string | undefined>) => [...new Set(values.filter((v): v is string => v !== undefined))].sort();
    return send(reply, 200, (assets) =>
      page({
        title: 'Portfolio',
        assets,
        operator,
        section: 'portfolio',
        script: true,
        body: portfolioBody({
          report,
          filters,
          options: { segments: distinct(rows.map((r) => r.segment)), strategies: distinct(rows.map((r) => r.strategy)) },
          charts: chartData(report, currency, curve),
          curveNote: curve.casesLeftOut > 0 ? `The recovery curve reads the ${curve.casesRead} largest recoveries; ${curve.casesLeftOut} smaller ones are left out.` : undefined,
        }),
      }),
    );
  });

  app.get('/console/queue', { config: PUBLIC, schema: HIDDEN }, async (request, reply) => {
    const operator = operatorOf(request, reply);
    if (!operator) return reply;
    const items = await workQueue(ctx.client, ctx.cases);
    return send(reply, 200, (assets) => page({ title: 'Work queue', assets, operator, section: 'queue', body: queueBody(items) }));
  });

  const renderCase = async (reply: FastifyReply, operator: Operator, loanId: string, status: number, messages: { notice?: string; error?: string } = {}) => {
    let caseStatus: CaseStatus;
    try {
      caseStatus = await ctx.cases.status(loanId);
    } catch (error) {
      if (error instanceof CaseError) return errorPage(reply, operator, ERROR_STATUS[error.code] ?? 400, error.code, error.message);
      throw error;
    }
    const timeline = await ctx.cases.timeline(loanId);
    return send(reply, status, (assets) =>
      page({ title: `Case ${loanId}`, assets, operator, section: 'case', body: caseBody({ status: caseStatus, timeline, role: operator.role, temporalUiUrl, ...messages }) }),
    );
  };

  app.get('/console/cases/:loanId', { config: PUBLIC, schema: HIDDEN }, async (request, reply) => {
    const operator = operatorOf(request, reply);
    if (!operator) return reply;
    const { loanId } = request.params as { loanId: string };
    const notice = z.enum(CONSOLE_ACTIONS).optional().catch(undefined).parse((request.query as { notice?: string }).notice);
    return renderCase(reply, operator, loanId, 200, { notice: notice ? NOTICES[notice] : undefined });
  });

  app.post('/console/cases/:loanId/actions/:action', { config: PUBLIC, schema: HIDDEN }, async (request, reply) => {
    const operator = operatorOf(request, reply);
    if (!operator) return reply;
    const params = ActionParams.safeParse(request.params);
    if (!params.success) return errorPage(reply, operator, 404, 'not_found', 'no such console action');
    const { loanId, action } = params.data;
    if (!can(operator.role, action)) return errorPage(reply, operator, 403, 'forbidden', `role ${operator.role} may not ${action.replace('-', ' ')}`);
    try {
      await applyAction(ctx, operator, loanId, action, request.body ?? {});
    } catch (error) {
      const known = error instanceof CaseError ? error.code : error instanceof MoneyFormatError ? 'invalid_request' : undefined;
      if (known === undefined) throw error;
      // The case page again, saying why (200, as for the sign-in form).
      return renderCase(reply, operator, loanId, 200, { error: `${known}: ${(error as Error).message}` });
    }
    request.log.info({ event: 'console_action', operator: operator.id, action, loanId }, 'console action');
    return reply.redirect(`/console/cases/${encodeURIComponent(loanId)}?notice=${action}`, 303);
  });
};

/** Turns a console form into the case message the API would send, through the same CaseService. */
async function applyAction(ctx: ApiContext, operator: Operator, loanId: string, action: ConsoleAction, rawBody: unknown): Promise<void> {
  const parsed = ACTION_BODIES[action].safeParse(rawBody);
  if (!parsed.success) throw new CaseError('invalid_request', parsed.error.issues.map((i) => `${i.path.join('.') || 'form'}: ${i.message}`).join('; '));
  const actor = operator.id;
  const currencyOf = async () => (await ctx.cases.status(loanId)).currency;
  switch (action) {
    case 'pay': {
      const body = parsed.data as z.infer<(typeof ACTION_BODIES)['pay']>;
      const currency = await currencyOf();
      await ctx.cases.recordPayment(loanId, { paymentId: body.reference, amountMinor: parseMajorUnits(body.amount, currency), currency, receivedAt: new Date().toISOString(), channel: 'console' });
      return;
    }
    case 'pause':
      return ctx.cases.signal(loanId, 'pause', { reason: (parsed.data as { reason: string }).reason, actor });
    case 'resume':
      return ctx.cases.signal(loanId, 'resume', { reason: (parsed.data as { reason?: string }).reason || undefined, actor });
    case 'promise': {
      const body = parsed.data as z.infer<(typeof ACTION_BODIES)['promise']>;
      return ctx.cases.signal(loanId, 'promiseToPay', { amountMinor: parseMajorUnits(body.amount, await currencyOf()), dueDate: body.dueDate, actor });
    }
    case 'settle': {
      const body = parsed.data as z.infer<(typeof ACTION_BODIES)['settle']>;
      return ctx.cases.signal(loanId, 'settlementOffer', { amountMinor: parseMajorUnits(body.amount, await currencyOf()), validUntil: body.validUntil, actor });
    }
    case 'resolve-dispute': {
      const body = parsed.data as z.infer<(typeof ACTION_BODIES)['resolve-dispute']>;
      return ctx.cases.signal(loanId, 'disputeResolved', { upheld: body.upheld === 'true', note: body.note || undefined, actor });
    }
    case 'resolve-review': {
      const body = parsed.data as z.infer<(typeof ACTION_BODIES)['resolve-review']>;
      // The form is only offered in needs_review; a stale page must not send a decision to a case that no longer waits for one.
      if ((await ctx.cases.status(loanId)).state !== 'needs_review') throw new CaseError('invalid_request', 'the case is not waiting for a review decision (state is not needs review)');
      return ctx.cases.signal(loanId, 'reviewResolved', { action: body.action, note: body.note, actor });
    }
  }
}

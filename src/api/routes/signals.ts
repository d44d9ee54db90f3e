import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import type { CaseSignalName } from '../../shared/messages';
import * as schemas from '../../shared/schemas';
import type { ApiContext } from '../context';
import { errorResponses } from '../errors';
import { Accepted, LoanIdParams } from '../schemas';

/**
 * Operator and integration messages to an open case: one POST per signal, the body is the
 * signal's payload, validated with the workflow's own schema before anything is sent.
 * Every payload records who acted (`actor`): the authenticated operator; an `actor` in the
 * body is ignored. The minimum role of each route is in ../route-roles.ts.
 */
interface SignalRoute {
  path: string;
  signal: Exclude<CaseSignalName, 'paymentReceived'>;
  summary: string;
}

export const SIGNAL_ROUTES: readonly SignalRoute[] = [
  { path: 'promises', signal: 'promiseToPay', summary: 'Record a promise to pay' },
  { path: 'repayment-plans', signal: 'repaymentPlan', summary: 'Agree a repayment plan (instalments)' },
  { path: 'settlements', signal: 'settlementOffer', summary: 'Offer a settlement' },
  { path: 'disputes', signal: 'disputeRaised', summary: 'Raise a dispute (contact stops while it is verified)' },
  { path: 'dispute-resolutions', signal: 'disputeResolved', summary: 'Resolve the open dispute' },
  { path: 'pause', signal: 'pause', summary: 'Put the case on hold' },
  { path: 'resume', signal: 'resume', summary: 'Lift an operator hold' },
  { path: 'cease-contact', signal: 'ceaseContact', summary: 'Stop all debtor contact (legal steps may continue)' },
  { path: 'call-outcomes', signal: 'callOutcome', summary: 'Report the outcome of a phone task' },
  { path: 'contact', signal: 'contactUpdated', summary: "Update the debtor's contact details" },
  { path: 'survey-responses', signal: 'surveyResponse', summary: 'Record a satisfaction survey response' },
  // Role supervisor (spec section 10). `retry` tries the step again, `skip` passes over it, `close` resolves the case as cancelled.
  { path: 'review', signal: 'reviewResolved', summary: 'End a needs_review state: retry the step, skip it, or close the case (cancelled)' },
];

export const signalRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  for (const route of SIGNAL_ROUTES) {
    app.post(
      `/v1/cases/:loanId/${route.path}`,
      {
        schema: {
          tags: ['signals'],
          summary: route.summary,
          description: `Sends the \`${route.signal}\` signal to the open case of the loan. The actor recorded is the authenticated operator; an \`actor\` in the body is ignored.`,
          params: LoanIdParams,
          // An absent body counts as {} (e.g. `resume` needs nothing).
          body: schemas.SIGNAL_SCHEMAS[route.signal] as z.ZodType,
          response: { 202: Accepted, ...errorResponses(400, 401, 403, 404, 503) },
        },
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) request.body = {};
        },
      },
      async (request, reply) => {
        const body = request.body as Record<string, unknown>;
        const payload = { ...body, actor: request.auth.actor };
        await ctx.cases.signal(request.params.loanId, route.signal, payload);
        ctx.metrics.signalsSent.inc({ signal: route.signal });
        request.log.info({ loanId: request.params.loanId, signal: route.signal }, 'signal sent');
        return reply.code(202).send({ accepted: true });
      },
    );
  }
};

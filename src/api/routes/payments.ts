import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CaseError } from '../../client/case-service';
import { webhookSecrets } from '../../config';
import { caseWorkflowId } from '../../shared/ids';
import { timelineQuery } from '../../shared/messages';
import type { ApiContext } from '../context';
import { ApiError, errorResponses } from '../errors';
import { SIGNATURE_HEADER, verifySignature } from '../signature';
import { Accepted, PaymentNotification, SignatureHeaders } from '../schemas';

/**
 * The signed payment webhook (spec section 5). The signature covers the exact bytes
 * received, so this plugin keeps the raw body: its own content-type parser (for every
 * media type, in this route's scope only) stores the bytes, and a preValidation hook
 * checks the signature first, then parses JSON, then the zod schema validates.
 * Order of refusals: bad signature 401, bad JSON or body 400, no case 404, currency 422.
 *
 * The payment is applied with the `applyPayment` update, whose validator refuses a
 * redelivery (answered 202 again, with nothing added to the case's history) and the same
 * paymentId with another amount or currency (409 `payment_conflict`).
 */

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

const WEBHOOK_BODY_LIMIT = 64 * 1024;
const CLOSED_CASE_LOOKUP_MS = 5_000;

const SIGNATURE_MESSAGES = {
  missing: 'missing X-Signature header',
  malformed: 'malformed X-Signature header: expected t=<unix seconds>,v1=<hex HMAC-SHA256>',
  expired: 'signature timestamp is more than 5 minutes away from now',
  mismatch: 'signature does not match the body',
} as const;

export const paymentRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const secrets = webhookSecrets(ctx.env);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (request: FastifyRequest, body: Buffer | string, done) => {
    request.rawBody = Buffer.isBuffer(body) ? body : Buffer.from(body);
    done(null, undefined);
  });

  app.post(
    '/v1/payments',
    {
      config: { access: 'webhook' },
      bodyLimit: WEBHOOK_BODY_LIMIT,
      schema: {
        tags: ['payments'],
        summary: 'Report a repayment (signed webhook)',
        description:
          'Signed with `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` keyed with any of WEBHOOK_SECRETS (rotation) or WEBHOOK_SECRET; signatures more than 5 minutes old are refused. ' +
          'A retried delivery of the same paymentId is accepted again (202) and counted once, without adding to the case history; ' +
          'the same paymentId with another amount or currency is 409 payment_conflict. 503 when no worker applied it within 20 s: retry.',
        security: [{ webhookSignature: [] }],
        headers: SignatureHeaders,
        body: PaymentNotification,
        response: { 202: Accepted, ...errorResponses(400, 401, 404, 409, 422, 503) },
      },
      preValidation: async (request, reply) => {
        const rawBody = request.rawBody ?? Buffer.alloc(0);
        const check = verifySignature({ header: request.headers[SIGNATURE_HEADER], rawBody, secrets, nowSeconds: ctx.nowSeconds() });
        if (!check.ok) {
          reply.header('www-authenticate', 'Signature header="X-Signature"');
          throw new ApiError('invalid_signature', SIGNATURE_MESSAGES[check.reason]);
        }
        try {
          request.body = JSON.parse(rawBody.toString('utf8')) as PaymentNotification;
        } catch {
          throw new ApiError('invalid_request', 'body is not valid JSON');
        }
      },
    },
    async (request, reply) => {
      const { loanId, ...payment } = request.body;
      try {
        const result = await ctx.cases.recordPayment(loanId, payment);
        if (!result.duplicate) ctx.metrics.signalsSent.inc({ signal: 'paymentReceived' });
        request.log.info({ loanId, paymentId: payment.paymentId, duplicate: result.duplicate }, result.duplicate ? 'payment redelivered; already counted' : 'payment applied');
      } catch (error) {
        // A redelivery of the payment that closed the case (e.g. paid in full) finds no
        // open case, yet it was received and counted: accept it again.
        if (!(error instanceof CaseError && error.code === 'case_not_found') || !(await recordedOnClosedCase(ctx, loanId, payment.paymentId))) throw error;
        request.log.info({ loanId, paymentId: payment.paymentId }, 'payment redelivered after the case closed; already counted');
      }
      return reply.code(202).send({ accepted: true });
    },
  );
};

/** Whether the loan's latest (closed) case recorded this payment; false when unsure. */
async function recordedOnClosedCase(ctx: ApiContext, loanId: string, paymentId: string): Promise<boolean> {
  try {
    const handle = ctx.client.workflow.getHandle(caseWorkflowId(loanId));
    const timeline = await ctx.client.connection.withDeadline(Date.now() + CLOSED_CASE_LOOKUP_MS, () => handle.query(timelineQuery));
    return timeline.some((event) => event.kind === 'payment_received' && event.data?.paymentId === paymentId);
  } catch {
    return false;
  }
}

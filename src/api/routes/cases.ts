import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CasePage, listCases } from '../../client/case-list';
import { buildEvidence } from '../../client/evidence';
import { CaseInput, CaseStatus, TimelineEvent } from '../../shared/schemas';
import type { ApiContext } from '../context';
import { errorResponses } from '../errors';
import { CaseListQuery, LoanIdParams, OpenedCase } from '../schemas';

/** Opening, inspecting and listing cases (spec section 5). */
export const caseRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.post(
    '/v1/cases',
    {
      schema: {
        tags: ['cases'],
        summary: 'Open a collection case',
        description:
          'Starts the case workflow `collection-<loanId>`. Opening a case that is already open is not an error: it answers 200 with the existing case. ' +
          "An `overdueSince` later than today (debtor's time zone) or older than the policy's `maxOverdueAge` is refused with 400 `overdue_since_out_of_range`; " +
          'a test-only policy (`testOnly: true`) without `ALLOW_TEST_POLICIES=true` with 422 `policy_not_allowed`.',
        body: CaseInput,
        response: { 201: OpenedCase, 200: OpenedCase, ...errorResponses(400, 401, 403, 422, 503) },
      },
    },
    async (request, reply) => {
      const opened = await ctx.cases.open(request.body);
      request.log.info({ workflowId: opened.workflowId, created: opened.created }, opened.created ? 'case opened' : 'case already open');
      return reply.code(opened.created ? 201 : 200).send({ workflowId: opened.workflowId, runId: opened.runId });
    },
  );

  app.get(
    '/v1/cases',
    {
      schema: {
        tags: ['cases'],
        summary: 'List cases from the case archive',
        description:
          'A page of cases, newest first, optionally filtered by stage and state. Read from the case archive (PostgreSQL), which each case updates once per wake-up, ' +
          'or from Temporal visibility when the API runs without DATABASE_URL. Either way eventually consistent: a change shows up within about a second.',
        querystring: CaseListQuery,
        response: { 200: CasePage, ...errorResponses(400, 401, 503) },
      },
    },
    async (request) => listCases(ctx.client, request.query, ctx.archive),
  );

  app.get(
    '/v1/cases/:loanId',
    {
      schema: {
        tags: ['cases'],
        summary: "A case's status",
        description: 'The `status` query of the latest case of the loan, open or closed.',
        params: LoanIdParams,
        response: { 200: CaseStatus, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => ctx.cases.status(request.params.loanId),
  );

  app.get(
    '/v1/cases/:loanId/timeline',
    {
      schema: {
        tags: ['cases'],
        summary: "A case's timeline",
        description: 'The business events of the case in order, readable by a person (the audit trail).',
        params: LoanIdParams,
        response: { 200: z.array(TimelineEvent), ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => ctx.cases.timeline(request.params.loanId),
  );

  app.get(
    '/v1/cases/:loanId/evidence',
    {
      schema: {
        tags: ['cases'],
        summary: "A case's evidence pack",
        description:
          "The case's full record for court or complaint handling (as `collections evidence --format json`), with the debtor's personal data. " +
          '`exportedBy` is the authenticated operator. From the case archive (`"source": "archive"`, without personal data) once Temporal has deleted the history.',
        params: LoanIdParams,
        response: {
          200: z.object({ generatedAt: z.string(), exportedBy: z.string(), loanId: z.string(), workflowId: z.string(), timeline: z.array(TimelineEvent) }).loose(),
          ...errorResponses(400, 401, 403, 404, 503),
        },
      },
    },
    async (request) => {
      const pack = await buildEvidence(ctx.cases, request.params.loanId, request.auth.actor, ctx.archive);
      request.log.info({ loanId: request.params.loanId, exportedBy: request.auth.actor }, 'evidence pack exported');
      return { ...pack };
    },
  );
};

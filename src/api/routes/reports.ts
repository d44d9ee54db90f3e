import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseCaseQuery, toVisibilityQuery } from '../../client/visibility-filter';
import { ReportError } from '../../client/reports';
import type { ApiContext } from '../context';
import { ApiError, errorResponses } from '../errors';
import { Report, ReportQuery } from '../schemas';

/** KPIs over open and closed cases (issue 3 item 4), computed by src/client/reports.ts. */
export const reportRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/reports/summary',
    {
      schema: {
        tags: ['reports'],
        summary: 'Collection KPIs',
        description:
          'Over every matching case, open and closed, from the case archive (from Temporal visibility when a visibility query is given or the API has no DATABASE_URL): cases by stage and state, recovery rate, cost-effectiveness ratio, cure rate, promise-kept rate, ' +
          'right-party-contact rate, the stage funnel, by segment and by strategy. Rates are fractions between 0 and 1; money in minor units of one currency ' +
          '(422 mixed_currencies when the matching cases have several: pass currency).',
        querystring: ReportQuery,
        response: { 200: Report, ...errorResponses(400, 401, 422, 501, 503) },
      },
    },
    async (request) => {
      if (!ctx.reports) throw new ApiError('not_implemented', 'reporting is not wired into this API build');
      try {
        // The same strict language as the CLI's bulk --query: only our search attributes, written out by us.
        const query = request.query.query === undefined ? undefined : toVisibilityQuery(parseCaseQuery(request.query.query));
        return await ctx.reports(ctx.client, { query, currency: request.query.currency }, ctx.archive);
      } catch (error) {
        if (error instanceof ReportError && error.code === 'mixed_currencies') {
          throw new ApiError('mixed_currencies', 'the matching cases are in several currencies: pass currency=<ISO 4217 code>', { reason: error.message });
        }
        throw error;
      }
    },
  );
};

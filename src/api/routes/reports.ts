import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiContext } from '../context';
import { ApiError, errorResponses } from '../errors';
import { ReportQuery } from '../schemas';

/** KPIs over open and closed cases (issue 3 item 4), computed by src/client/reports.ts. */
export const reportRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/reports/summary',
    {
      schema: {
        tags: ['reports'],
        summary: 'Collection KPIs',
        description:
          'Cases by stage and state, recovery rate, cost-effectiveness ratio, cure rate, promise-kept rate, stage funnel, by segment and strategy. Rates are fractions between 0 and 1; money in minor units.',
        querystring: ReportQuery,
        response: { 200: z.record(z.string(), z.unknown()), ...errorResponses(400, 401, 501, 503) },
      },
    },
    async (request) => {
      if (!ctx.reports) throw new ApiError('not_implemented', 'reporting is not wired into this API build');
      return (await ctx.reports(ctx.client, request.query.query ? { query: request.query.query } : {})) as Record<string, unknown>;
    },
  );
};

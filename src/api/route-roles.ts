import type { Role } from '../client/operators';

/**
 * The role matrix (spec section 10): the minimum role for each operator route, as
 * `<METHOD> <route template>`. Roles are ordered viewer < collector < supervisor < admin,
 * each allowed what the ones before it are. An operator route missing here needs
 * `admin` (closed by default); test/api-access.test.ts checks that every route the app
 * registers is listed. Public routes and the signed webhook are not operator routes
 * (their `config.access` says so) and are not listed.
 */
export const ROUTE_ROLES: Readonly<Record<string, Role>> = {
  // Reading cases, timelines and KPIs.
  'GET /v1/cases': 'viewer',
  'GET /v1/cases/:loanId': 'viewer',
  'GET /v1/cases/:loanId/timeline': 'viewer',
  'GET /v1/reports/summary': 'viewer',

  // A collector's daily work on one case.
  'POST /v1/cases/:loanId/promises': 'collector',
  'POST /v1/cases/:loanId/call-outcomes': 'collector',
  'POST /v1/cases/:loanId/contact': 'collector',
  'POST /v1/cases/:loanId/pause': 'collector',
  'POST /v1/cases/:loanId/resume': 'collector',
  'POST /v1/cases/:loanId/disputes': 'collector',
  'POST /v1/cases/:loanId/cease-contact': 'collector',
  'POST /v1/cases/:loanId/survey-responses': 'collector',
  // Decoding payloads shows debtor data, as the case itself does to a collector.
  'POST /codec/decode': 'collector',
  'POST /codec/encode': 'collector',

  // Decisions about money, liability and many cases at once.
  'POST /v1/cases': 'supervisor',
  'POST /v1/cases/:loanId/settlements': 'supervisor',
  'POST /v1/cases/:loanId/repayment-plans': 'supervisor',
  'POST /v1/cases/:loanId/dispute-resolutions': 'supervisor',
  'POST /v1/cases/:loanId/review': 'supervisor',
  'GET /v1/cases/:loanId/evidence': 'supervisor',
  'POST /v1/bulk/pause': 'supervisor',
  'POST /v1/bulk/resume': 'supervisor',
};

/** The minimum role for a route; `admin` for an operator route nobody listed. */
export function minimumRole(method: string, url: string): Role {
  return ROUTE_ROLES[`${method.toUpperCase()} ${url}`] ?? 'admin';
}

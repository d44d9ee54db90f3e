import { tokenMatches } from '../api/auth';
import type { ApiEnv } from '../config';

/**
 * Who may use the console and what each role may do (spec section 10's roles).
 *
 * `operatorForToken` is the one place a sign-in token becomes an operator. Until the
 * operators file (OPERATORS_FILE) lands it knows one operator: API_TOKEN, id `admin`,
 * role `admin`. The role ladder and `can` are what the pages and action routes consult.
 */

export const ROLES = ['viewer', 'collector', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Operator {
  id: string;
  role: Role;
}

/** Case actions the console offers, each the lowest role allowed to take it. */
export const ACTION_MIN_ROLE = {
  pay: 'collector',
  pause: 'collector',
  resume: 'collector',
  promise: 'collector',
  settle: 'supervisor',
  'resolve-dispute': 'supervisor',
} as const satisfies Record<string, Role>;
export type ConsoleAction = keyof typeof ACTION_MIN_ROLE;
export const CONSOLE_ACTIONS = Object.keys(ACTION_MIN_ROLE) as ConsoleAction[];

export function can(role: Role, action: ConsoleAction): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(ACTION_MIN_ROLE[action]);
}

export type OperatorLookup = (token: string) => Operator | undefined;

/** The operator a sign-in token belongs to, or undefined. */
export function operatorForToken(env: Pick<ApiEnv, 'API_TOKEN'>): OperatorLookup {
  return (token) => (env.API_TOKEN !== undefined && tokenMatches(token, env.API_TOKEN) ? { id: 'admin', role: 'admin' } : undefined);
}

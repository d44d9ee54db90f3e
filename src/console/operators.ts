import { authenticate, hasRole, operatorDirectory, type Role } from '../client/operators';
import type { ApiEnv } from '../config';

/**
 * Who may use the console and what each role may do (spec section 10's roles).
 *
 * `operatorForToken` is the one place a sign-in token becomes an operator: the operators of
 * OPERATORS_FILE plus API_TOKEN (id `admin`, role `admin`), as the API authenticates them
 * (src/client/operators.ts). `can` is what the pages and action routes consult.
 */

export type { Role } from '../client/operators';

export interface Operator {
  id: string;
  role: Role;
}

/** Case actions the console offers, each with the lowest role allowed to take it (as the API's route roles). */
export const ACTION_MIN_ROLE = {
  pay: 'collector',
  pause: 'collector',
  resume: 'collector',
  promise: 'collector',
  settle: 'supervisor',
  'resolve-dispute': 'supervisor',
  'resolve-review': 'supervisor',
} as const satisfies Record<string, Role>;
export type ConsoleAction = keyof typeof ACTION_MIN_ROLE;
export const CONSOLE_ACTIONS = Object.keys(ACTION_MIN_ROLE) as ConsoleAction[];

export function can(role: Role, action: ConsoleAction): boolean {
  return hasRole(role, ACTION_MIN_ROLE[action]);
}

export type OperatorLookup = (token: string) => Operator | undefined;

/** The operator a sign-in token belongs to, or undefined. */
export function operatorForToken(env: Pick<ApiEnv, 'API_TOKEN' | 'OPERATORS_FILE'>): OperatorLookup {
  const directory = operatorDirectory({ operatorsFile: env.OPERATORS_FILE, apiToken: env.API_TOKEN });
  return (token) => {
    const operator = authenticate(directory, token);
    return operator && { id: operator.id, role: operator.role };
  };
}

import os from 'node:os';
import type { Role } from '../client/operators';
import { CliError, EXIT } from './errors';

/**
 * Who is acting, for the timeline (spec section 10). The CLI talks to Temporal directly,
 * so whoever can run it with Temporal credentials can do anything Temporal allows; roles
 * cannot be enforced here the way the API does. What the CLI records is therefore:
 *
 * - with `--as <id>` and that operator's token (`--token` or COLLECTIONS_TOKEN), checked
 *   against OPERATORS_FILE: the operator's id, and the command must be within its role;
 * - otherwise the operating-system user, as `<user>@cli`.
 *
 * Nothing else: there is no `--actor` to type a name.
 */

export interface CliIdentityOptions {
  as?: string;
  token?: string;
}

export interface CliIdentity {
  actor: string;
  /** Present when an operator authenticated with --as. */
  role?: Role;
}

function osUser(): string {
  try {
    return `${os.userInfo().username}@cli`;
  } catch {
    return 'unknown-user@cli';
  }
}

/** The identity a command records; `minimumRole` is checked when an operator is named with --as. */
export function resolveCliIdentity(options: CliIdentityOptions, env: NodeJS.ProcessEnv, minimumRole: Role): CliIdentity {
  if (options.as === undefined) {
    if (options.token !== undefined) throw new CliError('--token needs --as <operator id>', EXIT.usage);
    return { actor: osUser() };
  }
  const token = options.token ?? env.COLLECTIONS_TOKEN;
  if (!token) throw new CliError(`--as ${options.as} needs that operator's token: --token <token> or COLLECTIONS_TOKEN`, EXIT.usage);
  const file = env.OPERATORS_FILE;
  if (!file) throw new CliError('--as needs OPERATORS_FILE (the operators and their token hashes) to check the token', EXIT.usage);
  // Loaded only when an operator is named (the operators file is YAML).
  const { authenticate, hasRole, loadOperators, OperatorsError } = require('../client/operators') as typeof import('../client/operators');
  let operators;
  try {
    operators = loadOperators(file);
  } catch (error) {
    if (error instanceof OperatorsError) throw new CliError(`invalid configuration: OPERATORS_FILE ${error.message}`, EXIT.usage);
    throw error;
  }
  const operator = authenticate(operators, token);
  if (!operator || operator.id !== options.as) throw new CliError(`the token is not operator ${options.as}'s`, EXIT.refused);
  if (!hasRole(operator.role, minimumRole)) {
    throw new CliError(`operator ${operator.id} (role ${operator.role}) may not do this: it needs role ${minimumRole} or above`, EXIT.refused);
  }
  return { actor: operator.id, role: operator.role };
}

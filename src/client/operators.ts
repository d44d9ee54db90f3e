import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { describeZodError } from '../shared/schemas';

/**
 * Operators and roles (spec section 10). `OPERATORS_FILE` (YAML) lists who may act:
 *
 *     operators:
 *       - { id: li.wei, name: Li Wei, role: collector, tokenSha256: <hex SHA-256 of the bearer token> }
 *
 * Only the hash of each token is stored. The API authenticates bearer tokens against it;
 * the CLI (`--as <id>` with a token) checks the same file. Roles are ordered: each one
 * may do everything the roles before it may.
 */

export const ROLES = ['viewer', 'collector', 'supervisor', 'admin'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const Operator = z.object({
  id: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'letters, digits, ".", "_", "@" or "-", at most 64 characters'),
  name: z.string().trim().min(1).max(200).optional(),
  role: Role,
  tokenSha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'the hex SHA-256 of the bearer token (64 hex digits)')
    .transform((hex) => hex.toLowerCase()),
});
export type Operator = z.infer<typeof Operator>;

export const OperatorsFile = z
  .object({ operators: z.array(Operator) })
  .superRefine((file, ctx) => {
    const seenIds = new Set<string>();
    const seenTokens = new Set<string>();
    file.operators.forEach((operator, index) => {
      if (seenIds.has(operator.id)) ctx.addIssue({ code: 'custom', path: ['operators', index, 'id'], message: `duplicate operator id "${operator.id}"` });
      if (seenTokens.has(operator.tokenSha256)) ctx.addIssue({ code: 'custom', path: ['operators', index, 'tokenSha256'], message: 'two operators share one token' });
      seenIds.add(operator.id);
      seenTokens.add(operator.tokenSha256);
    });
  });

/** `API_TOKEN` is one more operator with this id and role `admin`. */
export const API_TOKEN_OPERATOR_ID = 'admin';

export class OperatorsError extends Error {
  override readonly name = 'OperatorsError';
}

export function hasRole(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Reads and validates OPERATORS_FILE; the message names the file and the field. */
export function loadOperators(file: string): Operator[] {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new OperatorsError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = OperatorsFile.safeParse(raw);
  if (!parsed.success) throw new OperatorsError(`${file}: ${describeZodError(parsed.error)}`);
  return parsed.data.operators;
}

/** The operators from the file plus the API_TOKEN operator, when those are configured. */
export function operatorDirectory(options: { operatorsFile?: string; apiToken?: string }): Operator[] {
  const operators = options.operatorsFile ? loadOperators(options.operatorsFile) : [];
  if (options.apiToken) {
    if (operators.some((o) => o.id === API_TOKEN_OPERATOR_ID)) throw new OperatorsError(`${options.operatorsFile}: the id "${API_TOKEN_OPERATOR_ID}" is reserved for API_TOKEN`);
    operators.push({ id: API_TOKEN_OPERATOR_ID, role: 'admin', tokenSha256: sha256Hex(options.apiToken) });
  }
  return operators;
}

/**
 * The operator whose token this is, or undefined. Every operator is compared, in
 * constant time each and without an early exit, so the timing says nothing about which
 * (or whether one) matched.
 */
export function authenticate(operators: readonly Operator[], token: string): Operator | undefined {
  const presented = createHash('sha256').update(token, 'utf8').digest();
  let found: Operator | undefined;
  for (const operator of operators) {
    if (timingSafeEqual(presented, Buffer.from(operator.tokenSha256, 'hex')) && found === undefined) found = operator;
  }
  return found;
}

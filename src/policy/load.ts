import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { calendarIssues } from './calendars';
import { PolicyError, type PolicyErrorCode } from './errors';
import { Policy } from './schema';

/**
 * Loading policy files at start-up. A bad file stops start-up with a message naming the
 * file and each bad field: `policies/x.yaml: segments.2.ladder: unknown ladder "foo"`.
 */

/** The policies shipped in the repo (`policies/`): every one stays selectable by a case's policyId. */
export const SHIPPED_POLICIES_DIR = path.resolve(__dirname, '../../policies');

export { PolicyError, type PolicyErrorCode };

const POLICY_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Validates already-parsed data; `source` (a file name) prefixes every message. */
export function parsePolicy(data: unknown, source: string): Policy {
  const result = Policy.safeParse(data);
  if (result.success) {
    const calendar = calendarIssues(result.data);
    if (calendar.length === 0) return result.data;
    throw new PolicyError('POLICY_INVALID', calendar.map((line) => `${source}: ${line}`).join('\n'), calendar);
  }
  const issues = result.error.issues.map(
    (issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(file)'}: ${issue.message}`,
  );
  throw new PolicyError('POLICY_INVALID', issues.map((line) => `${source}: ${line}`).join('\n'), issues);
}

/** Reads and validates one policy file: YAML (`.yaml`, `.yml`) or JSON (`.json`). */
export function loadPolicyFile(file: string): Policy {
  const extension = path.extname(file).toLowerCase();
  if (!POLICY_EXTENSIONS.includes(extension)) {
    throw new PolicyError('POLICY_UNREADABLE', `${file}: a policy file must end in .yaml, .yml or .json`);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PolicyError('POLICY_UNREADABLE', `${file}: cannot read (${(error as Error).message})`);
  }
  return parsePolicy(parseText(text, file, extension), file);
}

function parseText(text: string, file: string, extension: string): unknown {
  if (extension === '.json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new PolicyError('POLICY_UNREADABLE', `${file}: invalid JSON (${(error as Error).message})`);
    }
  }
  const document = parseDocument(text, { prettyErrors: true });
  const first = document.errors[0];
  if (first) {
    const line = first.linePos?.[0].line;
    const where = line !== undefined ? ` at line ${line}` : '';
    throw new PolicyError('POLICY_UNREADABLE', `${file}: invalid YAML${where} (${first.message.split('\n')[0]})`);
  }
  return document.toJS() as unknown;
}

export interface PolicyRegistry {
  /**
   * The policy with this id; `undefined` gives the default policy. Throws `PolicyError`:
   * POLICY_UNKNOWN, or POLICY_NOT_ALLOWED for a test-only policy without ALLOW_TEST_POLICIES.
   */
  byId(id?: string): Policy;
  readonly defaultPolicy: Policy;
  /** The ids a case may name (test-only ones only when they are allowed). */
  ids(): string[];
}

export interface LoadOptions {
  /** The default policy's id; the first one loaded when absent. */
  defaultId?: string;
  /** ALLOW_TEST_POLICIES: whether policies marked `testOnly: true` may be used (demos, tests). */
  allowTestPolicies?: boolean;
}

function testOnlyRefusal(file: string): string {
  return `${file} is a test-only policy (testOnly: true: compressed time, relaxed rules); it is used only with ALLOW_TEST_POLICIES=true (npm start and the test suite set it), never for real debtors`;
}

/**
 * Loads every policy from files and/or directories (a directory contributes its .yaml,
 * .yml and .json files in name order). The default policy is the first one loaded, so
 * pass `POLICY_FILE` first: `loadPolicies([env.POLICY_FILE, 'policies'])`. A file listed
 * twice is read once; two files with the same policy id are an error.
 */
export function loadPolicies(sources: string | readonly string[], options: LoadOptions = {}): PolicyRegistry {
  const byId = new Map<string, Policy>();
  const fileOfId = new Map<string, string>();
  const seen = new Set<string>();
  for (const file of expandSources(typeof sources === 'string' ? [sources] : sources)) {
    const resolved = path.resolve(file);
    if (seen.has(resolved)) continue;
    seen.add(resolved);
    const policy = loadPolicyFile(file);
    const other = fileOfId.get(policy.id);
    if (other !== undefined) {
      throw new PolicyError('POLICY_INVALID', `${file}: id: policy id "${policy.id}" is already used by ${other}`);
    }
    byId.set(policy.id, policy);
    fileOfId.set(policy.id, file);
  }
  const allLoaded = [...byId.keys()];
  const allowed = (policy: Policy) => options.allowTestPolicies === true || !policy.testOnly;
  const ids = allLoaded.filter((id) => allowed(byId.get(id)!));
  const defaultId = options.defaultId ?? allLoaded[0];
  if (defaultId === undefined) throw new PolicyError('POLICY_UNREADABLE', `no policy files found in ${[sources].flat().join(', ')}`);
  const lookup = (id: string): Policy => {
    const policy = byId.get(id);
    if (!policy) throw new PolicyError('POLICY_UNKNOWN', `unknown policy "${id}" (have: ${ids.join(', ')})`);
    if (!allowed(policy)) throw new PolicyError('POLICY_NOT_ALLOWED', testOnlyRefusal(`policy "${id}" (${fileOfId.get(id)})`));
    return policy;
  };
  const defaultPolicy = lookup(defaultId);
  return {
    byId: (id) => (id === undefined ? defaultPolicy : lookup(id)),
    defaultPolicy,
    ids: () => [...ids],
  };
}

/**
 * The policies a process works with: `POLICY_FILE` (the default) plus every shipped one.
 * A test-only default refuses to load without ALLOW_TEST_POLICIES=true.
 */
export function loadConfiguredPolicies(env: { POLICY_FILE: string; ALLOW_TEST_POLICIES: boolean }): PolicyRegistry {
  return loadPolicies([env.POLICY_FILE, SHIPPED_POLICIES_DIR], { allowTestPolicies: env.ALLOW_TEST_POLICIES });
}

function expandSources(sources: readonly string[]): string[] {
  return sources.flatMap((source) => {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(source).isDirectory();
    } catch (error) {
      throw new PolicyError('POLICY_UNREADABLE', `${source}: cannot read (${(error as Error).message})`);
    }
    if (!isDirectory) return [source];
    return readdirSync(source)
      .filter((name) => POLICY_EXTENSIONS.includes(path.extname(name).toLowerCase()))
      .sort()
      .map((name) => path.join(source, name));
  });
}

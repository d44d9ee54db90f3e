import { SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../shared/search-attributes';
import { CaseError } from './errors';

/**
 * Case filters for bulk operations: a small expression tree over our own search
 * attributes (src/shared/search-attributes.ts), built from the API's structured filter or
 * parsed from the CLI's `--query`, and written out as a visibility query by us, with every
 * value escaped. Nothing a caller types reaches Temporal as query text, so a filter can
 * neither leave the `WorkflowType = 'collectionCase' AND ExecutionStatus = 'Running'` scope
 * it is AND-ed with nor name other attributes.
 *
 * The `--query` language (a tokenizer and a recursive-descent parser, no regexes over the
 * whole text):
 *
 *     filter     := or
 *     or         := and ("OR" and)*
 *     and        := primary ("AND" primary)*
 *     primary    := "(" or ")" | comparison
 *     comparison := ATTRIBUTE op value | ATTRIBUTE "IN" "(" value ("," value)* ")"
 *     op         := "=" | "!=" | "<>" | ">" | ">=" | "<" | "<="   (Keyword attributes: "=", "!=", "<>" only)
 *     value      := 'string' | "string" (Keyword attributes) | integer (Int attributes)
 *
 * Keywords are case-insensitive; attribute names are exact. Comments, backticks,
 * semicolons and anything else are refused with the position.
 */

export type ComparisonOp = '=' | '!=' | '>' | '>=' | '<' | '<=';
export type FilterValue = string | number;
export type CaseFilterExpr =
  | { kind: 'compare'; attribute: string; op: ComparisonOp; value: FilterValue }
  | { kind: 'in'; attribute: string; values: FilterValue[] }
  | { kind: 'and' | 'or'; operands: CaseFilterExpr[] };

const ATTRIBUTE_TYPES: ReadonlyMap<string, SearchAttributeType> = new Map(SEARCH_ATTRIBUTES.map((key) => [key.name, key.type]));
const KEYWORD_OPS: readonly ComparisonOp[] = ['=', '!='];
const MAX_QUERY_LENGTH = 4000;

// ---- Writing a visibility query ---------------------------------------------------------

/** A string literal of the visibility query language: single-quoted, backslash and quote escaped. */
export function quoteValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function literal(attribute: string, value: FilterValue): string {
  const type = ATTRIBUTE_TYPES.get(attribute);
  if (type === undefined) throw new CaseError('invalid_request', `unknown search attribute "${attribute}"`);
  if (type === SearchAttributeType.INT) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new CaseError('invalid_request', `${attribute} compares with an integer`);
    return String(value);
  }
  if (typeof value !== 'string') throw new CaseError('invalid_request', `${attribute} compares with a quoted string`);
  return quoteValue(value);
}

/** The visibility query text of a filter; every node is parenthesised, so precedence is explicit. */
export function toVisibilityQuery(expr: CaseFilterExpr): string {
  switch (expr.kind) {
    case 'compare':
      return `${expr.attribute} ${expr.op} ${literal(expr.attribute, expr.value)}`;
    case 'in':
      return `${expr.attribute} IN (${expr.values.map((v) => literal(expr.attribute, v)).join(', ')})`;
    case 'and':
    case 'or':
      return expr.operands.map((operand) => `(${toVisibilityQuery(operand)})`).join(expr.kind === 'and' ? ' AND ' : ' OR ');
  }
}

// ---- The structured filter (API) ---------------------------------------------------------

/** The API's structured bulk filter (spec section 10); every given field must hold. */
export interface StructuredCaseFilter {
  stage?: string;
  state?: string;
  segment?: string;
  strategy?: string;
  debtorType?: string;
  minOutstandingMinor?: number;
  maxOutstandingMinor?: number;
  loanIds?: string[];
}

export function fromStructuredFilter(filter: StructuredCaseFilter): CaseFilterExpr {
  const operands: CaseFilterExpr[] = [];
  const equals = (attribute: string, value: string | undefined) => {
    if (value !== undefined) operands.push({ kind: 'compare', attribute, op: '=', value });
  };
  equals('CollectionStage', filter.stage);
  equals('CollectionState', filter.state);
  equals('Segment', filter.segment);
  equals('Strategy', filter.strategy);
  equals('DebtorType', filter.debtorType);
  if (filter.minOutstandingMinor !== undefined) operands.push({ kind: 'compare', attribute: 'OutstandingMinor', op: '>=', value: filter.minOutstandingMinor });
  if (filter.maxOutstandingMinor !== undefined) operands.push({ kind: 'compare', attribute: 'OutstandingMinor', op: '<=', value: filter.maxOutstandingMinor });
  if (filter.loanIds !== undefined) operands.push({ kind: 'in', attribute: 'LoanId', values: filter.loanIds });
  if (operands.length === 0) throw new CaseError('invalid_request', 'the filter needs at least one criterion');
  return operands.length === 1 ? operands[0]! : { kind: 'and', operands };
}

// ---- Parsing the CLI's --query ------------------------------------------------------------

type Token =
  | { type: 'ident'; text: string; at: number }
  | { type: 'string'; value: string; at: number }
  | { type: 'number'; value: number; at: number }
  | { type: 'op'; op: ComparisonOp; at: number }
  | { type: '(' | ')' | ','; at: number }
  | { type: 'end'; at: number };

function refuse(message: string, at: number): never {
  throw new CaseError('invalid_request', `invalid query at character ${at + 1}: ${message}`);
}

const isDigit = (ch: string) => ch >= '0' && ch <= '9';
const isIdentStart = (ch: string) => (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch === '_';
const isIdentPart = (ch: string) => isIdentStart(ch) || isDigit(ch);

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const at = i;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i += 1;
    } else if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ type: ch, at });
      i += 1;
    } else if (ch === "'" || ch === '"') {
      let value = '';
      i += 1;
      for (;;) {
        if (i >= text.length) refuse('unclosed string', at);
        const c = text[i]!;
        if (c === '\\') {
          if (i + 1 >= text.length) refuse('unclosed string', at);
          value += text[i + 1];
          i += 2;
        } else if (c === ch) {
          i += 1;
          break;
        } else {
          value += c;
          i += 1;
        }
      }
      tokens.push({ type: 'string', value, at });
    } else if (isDigit(ch) || (ch === '-' && isDigit(text[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < text.length && isDigit(text[j]!)) j += 1;
      if (j < text.length && (isIdentPart(text[j]!) || text[j] === '.')) refuse('a number must be an integer', at);
      const value = Number(text.slice(i, j));
      if (!Number.isSafeInteger(value)) refuse('number out of range', at);
      tokens.push({ type: 'number', value, at });
      i = j;
    } else if (isIdentStart(ch)) {
      let j = i + 1;
      while (j < text.length && isIdentPart(text[j]!)) j += 1;
      tokens.push({ type: 'ident', text: text.slice(i, j), at });
      i = j;
    } else if (ch === '=' || ch === '!' || ch === '<' || ch === '>') {
      const two = text.slice(i, i + 2);
      const op: ComparisonOp | undefined =
        two === '!=' || two === '<>' ? '!=' : two === '>=' ? '>=' : two === '<=' ? '<=' : ch === '=' ? '=' : ch === '<' ? '<' : ch === '>' ? '>' : undefined;
      if (!op) refuse(`unexpected "${ch}"`, at);
      tokens.push({ type: 'op', op, at });
      i += op.length === 2 || two === '<>' ? 2 : 1;
    } else {
      refuse(ch === '/' || ch === '-' || ch === '#' ? 'comments are not allowed' : ch === '`' ? 'backticks are not allowed' : `unexpected "${ch}"`, at);
    }
  }
  tokens.push({ type: 'end', at: text.length });
  return tokens;
}

const isKeyword = (token: Token, word: string) => token.type === 'ident' && token.text.toUpperCase() === word;
const RESERVED = new Set(['AND', 'OR', 'IN', 'NOT']);

/** Parses a CLI `--query` into a filter over our search attributes; CaseError invalid_request otherwise. */
export function parseCaseQuery(text: string): CaseFilterExpr {
  if (text.length > MAX_QUERY_LENGTH) throw new CaseError('invalid_request', `the query is longer than ${MAX_QUERY_LENGTH} characters`);
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos]!;
  const next = () => tokens[pos++]!;
  const expect = (type: Token['type'], what: string) => {
    const token = next();
    if (token.type !== type) refuse(`expected ${what}`, token.at);
    return token;
  };

  const value = (attribute: string, type: SearchAttributeType): FilterValue => {
    const token = next();
    if (type === SearchAttributeType.INT) {
      if (token.type !== 'number') refuse(`${attribute} compares with an integer`, token.at);
      return token.value;
    }
    if (token.type !== 'string') refuse(`${attribute} compares with a quoted string`, token.at);
    return token.value;
  };

  const comparison = (): CaseFilterExpr => {
    const token = next();
    if (token.type !== 'ident' || RESERVED.has(token.text.toUpperCase())) refuse('expected a search attribute', token.at);
    const type = ATTRIBUTE_TYPES.get(token.text);
    if (type === undefined) refuse(`"${token.text}" is not one of our search attributes (${[...ATTRIBUTE_TYPES.keys()].join(', ')})`, token.at);
    const attribute = token.text;
    if (isKeyword(peek(), 'IN')) {
      next();
      expect('(', '"(" after IN');
      const values = [value(attribute, type)];
      while (peek().type === ',') {
        next();
        values.push(value(attribute, type));
      }
      expect(')', '"," or ")"');
      return { kind: 'in', attribute, values };
    }
    const opToken = next();
    if (opToken.type !== 'op') refuse('expected a comparison (=, !=, <, <=, >, >= or IN)', opToken.at);
    if (type === SearchAttributeType.KEYWORD && !KEYWORD_OPS.includes(opToken.op)) refuse(`${attribute} compares with = or != only`, opToken.at);
    return { kind: 'compare', attribute, op: opToken.op, value: value(attribute, type) };
  };

  const primary = (): CaseFilterExpr => {
    if (peek().type === '(') {
      next();
      const inner = or();
      expect(')', '")"');
      return inner;
    }
    return comparison();
  };

  const chain = (kind: 'and' | 'or', word: string, operand: () => CaseFilterExpr) => (): CaseFilterExpr => {
    const operands = [operand()];
    while (isKeyword(peek(), word)) {
      next();
      operands.push(operand());
    }
    return operands.length === 1 ? operands[0]! : { kind, operands };
  };
  const and = chain('and', 'AND', primary);
  const or: () => CaseFilterExpr = chain('or', 'OR', and);

  if (peek().type === 'end') refuse('the query is empty', 0);
  const expr = or();
  const rest = peek();
  if (rest.type !== 'end') refuse('expected AND, OR or the end of the query', rest.at);
  return expr;
}

import { describe, expect, it } from 'vitest';
import { fromStructuredFilter, parseCaseQuery, quoteValue, toVisibilityQuery } from '../../src/client/visibility-filter';
import { CaseError } from '../../src/client/case-service';

/** The CLI's bulk --query parser and the visibility query we write from a filter. */

const written = (query: string) => toVisibilityQuery(parseCaseQuery(query));

describe('parseCaseQuery', () => {
  it.each([
    ["Segment = 'small_balance'", "Segment = 'small_balance'"],
    ["Segment = 'small_balance' AND CollectionStage = 'sms'", "(Segment = 'small_balance') AND (CollectionStage = 'sms')"],
    ["CollectionStage = 'phone' or CollectionStage = \"letter\"", "(CollectionStage = 'phone') OR (CollectionStage = 'letter')"],
    ["OutstandingMinor > 10000000 AND (Segment = 'a' OR Strategy != 'b')", "(OutstandingMinor > 10000000) AND ((Segment = 'a') OR (Strategy != 'b'))"],
    ["LoanId IN ('L-1', 'L-2')", "LoanId IN ('L-1', 'L-2')"],
    ['CostMinor <= -5 AND RecoveredMinor >= 0', '(CostMinor <= -5) AND (RecoveredMinor >= 0)'],
    ["DebtorType <> 'corporate'", "DebtorType != 'corporate'"],
    ["LoanId = 'O\\'Brien'", "LoanId = 'O\\'Brien'"],
  ])('accepts %s', (query, expected) => {
    expect(written(query)).toBe(expected);
  });

  it.each([
    ["/* ( */ LoanId = 'x') OR (WorkflowType != '' /* ) */", /comments are not allowed/],
    ["LoanId = 'x') OR (WorkflowType != ''", /expected AND, OR or the end/],
    ["WorkflowType != ''", /not one of our search attributes/],
    ["ExecutionStatus = 'Running'", /not one of our search attributes/],
    ["TaskQueue = 'collections'", /not one of our search attributes/],
    ["LoanId = 'x' -- and the rest", /comments are not allowed/],
    ['`LoanId` = 1', /backticks are not allowed/],
    ["LoanId = 'x'; DROP", /unexpected ";"/],
    ["LoanId = 'x", /unclosed string/],
    ["(LoanId = 'x'", /expected "\)"/],
    ['OutstandingMinor > 1.5', /integer/],
    ["OutstandingMinor > '5'", /integer/],
    ['Segment = 5', /quoted string/],
    ["Segment > 'a'", /= or != only/],
    ["Segment = 'a' AND", /expected a search attribute/],
    ["NOT Segment = 'a'", /expected a search attribute/],
    ['', /empty/],
    ["segment = 'a'", /not one of our search attributes/],
  ])('refuses %s', (query, message) => {
    expect(() => parseCaseQuery(query)).toThrow(CaseError);
    expect(() => parseCaseQuery(query)).toThrow(message);
  });
});

describe('the visibility query written from a filter', () => {
  it('escapes quotes and backslashes in every value', () => {
    expect(quoteValue("x' OR WorkflowType != '")).toBe("'x\\' OR WorkflowType != \\''");
    expect(quoteValue('a\\')).toBe("'a\\\\'");
    expect(toVisibilityQuery({ kind: 'in', attribute: 'LoanId', values: ["a'b", 'c'] })).toBe("LoanId IN ('a\\'b', 'c')");
  });

  it('builds the structured API filter as a conjunction', () => {
    expect(toVisibilityQuery(fromStructuredFilter({ stage: 'phone', segment: 'small_balance', minOutstandingMinor: 100, maxOutstandingMinor: 200, loanIds: ['L-1'] }))).toBe(
      "(CollectionStage = 'phone') AND (Segment = 'small_balance') AND (OutstandingMinor >= 100) AND (OutstandingMinor <= 200) AND (LoanId IN ('L-1'))",
    );
    expect(toVisibilityQuery(fromStructuredFilter({ debtorType: 'corporate' }))).toBe("DebtorType = 'corporate'");
    expect(() => fromStructuredFilter({})).toThrow(/at least one criterion/);
  });

  it('never writes an attribute that is not ours, or a value of the wrong type', () => {
    expect(() => toVisibilityQuery({ kind: 'compare', attribute: 'WorkflowType', op: '=', value: 'x' })).toThrow(/unknown search attribute/);
    expect(() => toVisibilityQuery({ kind: 'compare', attribute: 'OutstandingMinor', op: '=', value: '1' })).toThrow(/integer/);
  });
});

import { formatMajorUnits } from '../shared/money';
import type { Outcome, TimelineEvent } from '../shared/schemas';
import type { TimelineKind } from '../shared/timeline';
import { record, type CaseData } from './case-state';

/** Something the workflow writes to its log (personal data never in it: ids, steps and reasons only). */
export interface LogLine {
  level: 'info' | 'warn';
  message: string;
  fields: Record<string, unknown>;
}

/**
 * What one engine transition did to a case: the timeline events it recorded (in order), the
 * outcome when it resolved the case, and the log lines it asks for. The state itself is
 * changed in place (the engine's reducers own the plain-JSON state they are given, so a
 * storm of messages costs O(1) each, with no copy per message).
 */
export interface Transition {
  state: CaseData;
  events: TimelineEvent[];
  /** Set when this transition resolved the case. */
  resolved?: Outcome;
  logs: LogLine[];
}

/** Records a transition's events at `now` on a case, and collects them for the caller. */
export class CaseJournal {
  readonly events: TimelineEvent[] = [];
  readonly logs: LogLine[] = [];
  resolved: Outcome | undefined;

  constructor(
    readonly data: CaseData,
    readonly now: number,
  ) {}

  get at(): string {
    return new Date(this.now).toISOString();
  }

  note(kind: TimelineKind, detail: string, extra?: Record<string, unknown>): void {
    record(this.data, this.at, kind, detail, extra);
    this.events.push(this.data.timeline[this.data.timeline.length - 1]!);
  }

  log(level: LogLine['level'], message: string, fields: Record<string, unknown> = {}): void {
    this.logs.push({ level, message, fields: { loanId: this.data.input.loanId, ...fields } });
  }

  money(minor: number): string {
    return `${formatMajorUnits(minor, this.data.input.currency)} ${this.data.input.currency}`;
  }

  /** A message the case refuses: recorded on the timeline (the case never crashes on one). */
  reject(name: string, reason: string): void {
    this.log('warn', 'signal rejected', { signal: name, reason });
    this.note('signal_rejected', `${name} rejected: ${reason}`, { signal: name });
  }

  /** Resolves the case (once): the promise lapses, the outcome is recorded with the figures. */
  resolve(outcome: Outcome): void {
    const d = this.data;
    if (d.outcome) return;
    d.outcome = outcome;
    d.promise = undefined;
    this.resolved = outcome;
    this.note('resolved', `Case resolved: ${outcome.replace(/_/g, ' ')}; paid ${this.money(d.paidMinor)}, outstanding ${this.money(d.outstandingMinor)}, cost ${this.money(d.costMinor)}`, { outcome });
    this.log('info', 'case resolved', { outcome });
  }

  done(): Transition {
    return { state: this.data, events: this.events, resolved: this.resolved, logs: this.logs };
  }
}

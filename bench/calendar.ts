import { DateTime } from 'luxon';
import { nextAllowedContact } from '../src/domain/compliance';
import type { ContactLogEntry, ContactRequest } from '../src/domain/types';
import { loadPolicyFile } from '../src/policy/load';
import { resolveProfile } from '../src/policy/profiles';
import type { Channel } from '../src/policy/schema';
import { DEFAULT_POLICY, type BenchConfig } from './config';
import { log } from './log';
import { median, nowMs } from './stats';

const ZONE = 'Asia/Shanghai';
const PHONE = '+86 138-0013-8000';
const REQUESTS = 2_000;
const HOUR_MS = 3_600_000;
const YEAR_START = Date.UTC(2026, 0, 1);
const YEAR_END = Date.UTC(2027, 0, 1);

/** mulberry32: a fixed seed gives every run the same request mix. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Channels weighted like the default ladders: reminders and calls most, letters and legal steps less. */
const CHANNEL_MIX: ReadonlyArray<[Channel, number]> = [
  ['sms', 0.35],
  ['call', 0.4],
  ['letter', 0.15],
  ['lawyer_letter', 0.05],
  ['litigation', 0.03],
  ['agency', 0.02],
];

function pick(random: () => number): Channel {
  let r = random();
  for (const [channel, weight] of CHANNEL_MIX) {
    if ((r -= weight) < 0) return channel;
  }
  return 'sms';
}

/**
 * The request mix: the CN profile the default policy resolves (08:00-22:00, CN public
 * holidays with make-up working days, letters on working days 09:00-17:00, caps of 2 SMS,
 * 3 conversations and 6 unanswered attempts a day), instants spread uniformly over 2026 as
 * the workflow sends them (UTC ISO strings), 0-5 logged contacts from the 48 h before.
 */
export function calendarRequests(count = REQUESTS, seed = 20260101): ContactRequest[] {
  const policy = loadPolicyFile(DEFAULT_POLICY);
  const profile = resolveProfile('CN', policy.profiles.CN);
  const random = prng(seed);
  return Array.from({ length: count }, () => {
    const at = YEAR_START + Math.floor(random() * (YEAR_END - YEAR_START));
    const logged = Math.floor(random() * 6);
    const recentContacts: ContactLogEntry[] = Array.from({ length: logged }, () => {
      const when = new Date(at - Math.floor(random() * 48 * HOUR_MS)).toISOString();
      const r = random();
      if (r < 0.4) return { at: when, channel: 'sms', number: PHONE, result: 'sent' };
      return { at: when, channel: 'call', number: PHONE, result: r < 0.75 ? 'no_answer' : r < 0.9 ? 'conversation' : 'attempt' };
    });
    recentContacts.sort((a, b) => a.at.localeCompare(b.at));
    const channel = pick(random);
    const request: ContactRequest = { channel, notBefore: new Date(at).toISOString(), timezone: ZONE, jurisdiction: 'CN', profile, recentContacts };
    if (channel === 'sms' || channel === 'call') request.number = PHONE;
    return request;
  });
}

/** Calls `op` over `items`, round robin, for about `budgetMs`; returns calls per second. */
function rate<T>(items: readonly T[], budgetMs: number, op: (item: T) => number): { perSec: number; sink: number } {
  let sink = 0;
  let calls = 0;
  const start = nowMs();
  let elapsed = 0;
  do {
    for (const item of items) sink += op(item);
    calls += items.length;
    elapsed = nowMs() - start;
  } while (elapsed < budgetMs);
  return { perSec: (calls / elapsed) * 1000, sink };
}

export interface CalendarSample {
  rep: number;
  decisionsPerSec: number;
  luxonPerSec: number;
}

export interface CalendarResult {
  requests: number;
  deferredShare: number;
  meanDeferrals: number;
  channels: Record<string, number>;
  samples: CalendarSample[];
  decisionsPerSec: number;
  luxonPerSec: number;
  /** Median over reps of luxon conversions per second / decisions per second. */
  luxonConversionsPerDecision: number;
}

/**
 * Benchmark 4: nextAllowedContact calls per second on the mix above, against
 * `DateTime.fromISO(instant).setZone(zone)` on the same instants.
 */
export function benchCalendar(config: BenchConfig): CalendarResult {
  const requests = calendarRequests();
  const decide = (req: ContactRequest) => nextAllowedContact(req).deferrals.length;
  const convert = (req: ContactRequest) => DateTime.fromISO(req.notBefore).setZone(req.timezone).offset;

  // Check the mix once (every decision must succeed) and warm the JIT and zone caches.
  const deferrals = requests.map(decide);
  rate(requests, 300, decide);
  rate(requests, 300, convert);

  const samples: CalendarSample[] = [];
  for (let rep = 1; rep <= config.repeats; rep++) {
    const first = rep % 2 === 1;
    const a = first ? rate(requests, config.calendarSampleMs, convert) : undefined;
    const decisions = rate(requests, config.calendarSampleMs, decide);
    const luxon = a ?? rate(requests, config.calendarSampleMs, convert);
    samples.push({ rep, decisionsPerSec: decisions.perSec, luxonPerSec: luxon.perSec });
    log(`calendar rep ${rep}: nextAllowedContact ${decisions.perSec.toFixed(0)}/s, luxon fromISO+setZone ${luxon.perSec.toFixed(0)}/s`);
  }

  const channels: Record<string, number> = {};
  for (const r of requests) channels[r.channel] = (channels[r.channel] ?? 0) + 1;
  return {
    requests: requests.length,
    deferredShare: deferrals.filter((d) => d > 0).length / requests.length,
    meanDeferrals: deferrals.reduce((s, d) => s + d, 0) / requests.length,
    channels,
    samples,
    decisionsPerSec: median(samples.map((s) => s.decisionsPerSec)),
    luxonPerSec: median(samples.map((s) => s.luxonPerSec)),
    luxonConversionsPerDecision: median(samples.map((s) => s.luxonPerSec / s.decisionsPerSec)),
  };
}

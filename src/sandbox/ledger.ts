import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * What the sandbox received: every provider request with its final status, and the
 * deliveries (one per Idempotency-Key that succeeded). Tests assert on this instead of
 * on side effects a real provider would have.
 *
 * With a file, the ledger is also appended to it (one JSON line per answered request and per
 * delivery) and read back at start: a sandbox killed and restarted keeps its ledger and its
 * idempotency keys, as a real provider keeps its records, so a fault script may kill it too.
 */

export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface DeliveryRecord {
  id: string;
  method: string;
  path: string;
  idempotencyKey: string;
  body: unknown;
  receivedAt: string;
  /** Requests that carried this key, including injected 503s, 409s and 422s. */
  attempts: number;
  response: StoredResponse;
}

export interface RequestRecord {
  at: string;
  method: string;
  path: string;
  idempotencyKey: string | null;
  status: number;
  /** Answered with the stored response of the key's earlier delivery (header `Idempotent-Replayed: true`): no new effect. */
  replayed: boolean;
}

export interface LedgerSnapshot {
  deliveries: DeliveryRecord[];
  requests: RequestRecord[];
}

export interface Arrival {
  seq: number;
  at: Date;
  idempotencyKey: string | undefined;
  /** 1-based count of requests seen so far with this key. */
  attempt: number | undefined;
}

/** One line of the ledger file. */
type FileEntry = { request: RequestRecord } | { delivery: Omit<DeliveryRecord, 'attempts'> };

export class Ledger {
  private seq = 0;
  private readonly attemptsByKey = new Map<string, number>();
  private readonly deliveriesByKey = new Map<string, Omit<DeliveryRecord, 'attempts'>>();
  // Requests are recorded when answered; seq keeps the snapshot in arrival order.
  private readonly requests: (RequestRecord & { seq: number })[] = [];

  /** @param file where the ledger is kept across restarts; absent: in memory only. */
  constructor(private readonly file?: string) {
    if (file && existsSync(file)) this.load(readFileSync(file, 'utf8'));
  }

  private load(text: string): void {
    for (const line of text.split('\n')) {
      let entry: FileEntry;
      try {
        entry = JSON.parse(line) as FileEntry;
      } catch {
        continue; // empty, or the last line cut short by a kill
      }
      if ('request' in entry) {
        this.requests.push({ ...entry.request, seq: ++this.seq });
        const key = entry.request.idempotencyKey;
        if (key !== null) this.attemptsByKey.set(key, (this.attemptsByKey.get(key) ?? 0) + 1);
      } else if ('delivery' in entry) {
        this.deliveriesByKey.set(entry.delivery.idempotencyKey, entry.delivery);
      }
    }
  }

  private append(entry: FileEntry): void {
    if (this.file) appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
  }

  /** How many deliveries the ledger holds (read back from its file at start, or made since). */
  get deliveryCount(): number {
    return this.deliveriesByKey.size;
  }

  arrive(idempotencyKey: string | undefined, at: Date): Arrival {
    let attempt: number | undefined;
    if (idempotencyKey !== undefined) {
      attempt = (this.attemptsByKey.get(idempotencyKey) ?? 0) + 1;
      this.attemptsByKey.set(idempotencyKey, attempt);
    }
    return { seq: ++this.seq, at, idempotencyKey, attempt };
  }

  answered(arrival: Arrival, method: string, path: string, status: number, replayed: boolean): void {
    const request: RequestRecord = { at: arrival.at.toISOString(), method, path, idempotencyKey: arrival.idempotencyKey ?? null, status, replayed };
    this.requests.push({ ...request, seq: arrival.seq });
    this.append({ request });
  }

  delivery(idempotencyKey: string): Omit<DeliveryRecord, 'attempts'> | undefined {
    return this.deliveriesByKey.get(idempotencyKey);
  }

  deliver(record: Omit<DeliveryRecord, 'attempts'>): void {
    this.deliveriesByKey.set(record.idempotencyKey, structuredClone(record));
    this.append({ delivery: record });
  }

  snapshot(): LedgerSnapshot {
    // Map iteration follows insertion, which is the order deliveries were accepted.
    const deliveries = [...this.deliveriesByKey.values()].map((d) => ({
      ...structuredClone(d),
      attempts: this.attemptsByKey.get(d.idempotencyKey) ?? 1,
    }));
    const requests = [...this.requests].sort((a, b) => a.seq - b.seq).map(({ seq: _seq, ...r }) => r);
    return { deliveries, requests };
  }

  clear(): void {
    this.attemptsByKey.clear();
    this.deliveriesByKey.clear();
    this.requests.length = 0;
    if (this.file) writeFileSync(this.file, '');
  }
}

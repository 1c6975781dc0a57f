/**
 * Adaptive per-store concurrency (docs/decisions/105): how many requests the hub sends one WooCommerce store at once.
 *
 * A store serves a few requests at a time (PHP workers: ≈ 2 on a 2-core host, more on a bigger one) and queues the
 * rest; the hub cannot know how many, so it measures. Every request to a store goes through that store's limiter
 * (one per store URL and process): at most `limit` run at once, the others wait in order. The limit
 * - grows by 1 after each fast success until its first cut (slow start), then after `limit` fast successes in a row —
 *   fast = answered within 1.3× the quickest time seen for that kind and size of request (the store was not queueing it);
 * - shrinks by a quarter when answers slow down to more than 2× that time (requests are queueing on the store);
 * - halves on 429 (Retry-After respected by the caller), 5xx, timeouts and dropped connections;
 * and stays within [1, max] (default 2 … 16; `SYNCFLOW_WOO_CONCURRENCY_MAX`). Times in ms.
 */
import { env } from "../../env.server";

/** Outcome of one request, as the limiter sees it. */
export type LimiterOutcome = { ok: true; ms: number; kind: string } | { ok: false; overload: boolean };

/** An AIMD limiter for one store. */
export class StoreLimiter {
  private running = 0;
  private waiting: (() => void)[] = [];
  private streak = 0;
  private quickest = new Map<string, number>();
  limit: number;
  /** Largest limit reached, and how many times it was cut (for operators and the benchmarks). */
  peak: number;
  cuts = 0;

  constructor(readonly opts: { initial?: number; min?: number; max?: number } = {}) {
    this.limit = Math.max(this.min, Math.min(this.max, opts.initial ?? 2));
    this.peak = this.limit;
  }

  get min(): number {
    return Math.max(1, this.opts.min ?? 1);
  }
  get max(): number {
    return Math.max(this.min, this.opts.max ?? env.SYNCFLOW_WOO_CONCURRENCY_MAX);
  }

  /** Requests running now and waiting for a slot. */
  stats(): { limit: number; running: number; waiting: number; peak: number; cuts: number } {
    return { limit: this.limit, running: this.running, waiting: this.waiting.length, peak: this.peak, cuts: this.cuts };
  }

  /** Runs `fn` when a slot is free; `classify` tells the limiter how the request went. */
  async run<T>(kind: string, fn: () => Promise<T>, classify: (err: unknown) => boolean): Promise<T> {
    await this.acquire();
    const started = Date.now();
    try {
      const out = await fn();
      this.record({ ok: true, ms: Date.now() - started, kind });
      return out;
    } catch (err) {
      const overload = classify(err);
      this.record(
        overload ? { ok: false, overload: true } : { ok: true, ms: Date.now() - started, kind: `${kind}:error` },
      );
      throw err;
    } finally {
      this.release();
    }
  }

  /** Feeds one outcome (exported for tests). */
  record(o: LimiterOutcome): void {
    if (!o.ok) {
      if (o.overload) {
        this.limit = Math.max(this.min, Math.floor(this.limit / 2));
        this.streak = 0;
        this.cuts++;
      }
      return;
    }
    const best = Math.min(this.quickest.get(o.kind) ?? Infinity, Math.max(1, o.ms));
    this.quickest.set(o.kind, best);
    if (o.ms > 2 * best && this.limit > this.min) {
      this.limit = Math.max(this.min, Math.floor(this.limit * 0.75));
      this.streak = 0;
      this.cuts++;
      return;
    }
    if (o.ms <= 1.3 * best) {
      // Slow start until the first cut (one more per quick answer: a store of 4 workers is reached after 2 batches),
      // then one more per `limit` quick answers in a row.
      if (++this.streak >= (this.cuts ? this.limit : 1) && this.limit < this.max) {
        this.limit++;
        this.peak = Math.max(this.peak, this.limit);
        this.streak = 0;
      }
    } else this.streak = 0;
    this.drain();
  }

  private acquire(): Promise<void> {
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    this.running--;
    this.drain();
  }

  private drain(): void {
    while (this.waiting.length && this.running < this.limit) {
      this.running++;
      this.waiting.shift()!();
    }
  }
}

const limiters = new Map<string, StoreLimiter>();

/** The process-wide limiter of the store at `url` (created at the initial limit on first use). */
export function limiterFor(url: string): StoreLimiter {
  const key = url.replace(/\/+$/, "");
  let l = limiters.get(key);
  if (!l) limiters.set(key, (l = new StoreLimiter({ initial: env.SYNCFLOW_WOO_CONCURRENCY_INITIAL })));
  return l;
}

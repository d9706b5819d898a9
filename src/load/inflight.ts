// The requests one client has in flight, each ended by its deadline (--request-timeout) or by its
// caller's stop signal. One timer for all deadlines and one abort listener per signal, instead of a
// setTimeout/clearTimeout and an addEventListener/removeEventListener pair per request: at thousands of
// requests/s those pairs were a tenth of ramp-load's CPU (bench/, issue #8). Every request gets the same
// timeout, so deadlines come in send order and the oldest request is always the next one due.
import { performance } from 'node:perf_hooks';

export interface InflightRequest {
  readonly deadline: number;
  readonly signal: AbortSignal;
  readonly onTimeout: () => void;
  readonly onStop: () => void;
}

export class InflightRequests {
  private readonly timeoutMs: number;
  private readonly entries = new Set<InflightRequest>();
  private readonly watched = new WeakSet<AbortSignal>();
  private timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /** Starts the clock of a request just sent; `remove` it once it has ended. */
  add(signal: AbortSignal, onTimeout: () => void, onStop: () => void): InflightRequest {
    const entry = { deadline: performance.now() + this.timeoutMs, signal, onTimeout, onStop };
    this.entries.add(entry);
    if (!this.watched.has(signal)) {
      this.watched.add(signal);
      signal.addEventListener('abort', () => this.stopAll(signal), { once: true });
    }
    this.timer ??= this.arm(this.timeoutMs);
    return entry;
  }

  remove(entry: InflightRequest): void {
    this.entries.delete(entry);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Timers may fire a fraction of a millisecond early: such a deadline counts as reached. */
  private arm(ms: number): NodeJS.Timeout {
    // Unref'd: the sockets of the requests in flight keep the process alive, not this timer.
    return setTimeout(() => this.expire(), Math.max(1, ms)).unref();
  }

  private expire(): void {
    const now = performance.now() + 0.5;
    for (const entry of this.entries) {
      if (entry.deadline > now) {
        this.timer = this.arm(entry.deadline - now);
        return;
      }
      this.entries.delete(entry);
      entry.onTimeout();
    }
    this.timer = undefined;
  }

  private stopAll(signal: AbortSignal): void {
    for (const entry of this.entries) {
      if (entry.signal !== signal) continue;
      this.entries.delete(entry);
      entry.onStop();
    }
  }
}

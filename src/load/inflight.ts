// The requests one client has in flight, each ended by its deadline (--request-timeout) or by its
// caller's stop signal. One timer for all deadlines and one abort listener per signal, instead of a
// setTimeout/clearTimeout and an addEventListener/removeEventListener pair per request: at thousands of
// requests/s those pairs were a tenth of ramp-load's CPU (bench/, issue #8). Every request gets the same
// timeout, so deadlines come in send order and the oldest request is always the next one due.
//
// The requests sit in a doubly linked list, not a Set, and a removed one lets go of its callbacks. A
// Set's backing table that outgrows its holes is rehashed into a new one, and the old table keeps its
// entries until a full GC (v8 src/objects/ordered-hash-table.cc, OrderedHashTable::Rehash). Once that
// old table sits in the old generation, every young scavenge treats it as a root: each request it held
// (closures → response, parser state, answer) survived and was promoted. That was 2–3 KB per request,
// scavenge pauses of 20–40 ms at 10k req/s, and most of the generator's GC time (bench/, issue #8).
import { performance } from 'node:perf_hooks';

/** A request in flight: the handle `add` returns and `remove` takes. */
export class InflightRequest {
  readonly deadline: number;
  readonly signal: AbortSignal;
  /** null once the request has left the list: nothing it held stays reachable from here. */
  onTimeout: (() => void) | null;
  onStop: (() => void) | null;
  prev: InflightRequest | null = null;
  next: InflightRequest | null = null;

  constructor(deadline: number, signal: AbortSignal, onTimeout: () => void, onStop: () => void) {
    this.deadline = deadline;
    this.signal = signal;
    this.onTimeout = onTimeout;
    this.onStop = onStop;
  }
}

export class InflightRequests {
  private readonly timeoutMs: number;
  /** Oldest first: the head is the next deadline. */
  private head: InflightRequest | null = null;
  private tail: InflightRequest | null = null;
  private readonly watched = new WeakSet<AbortSignal>();
  private timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /** Starts the clock of a request just sent; `remove` it once it has ended. */
  add(signal: AbortSignal, onTimeout: () => void, onStop: () => void): InflightRequest {
    const entry = new InflightRequest(performance.now() + this.timeoutMs, signal, onTimeout, onStop);
    entry.prev = this.tail;
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    if (!this.watched.has(signal)) {
      this.watched.add(signal);
      signal.addEventListener('abort', () => this.stopAll(signal), { once: true });
    }
    this.timer ??= this.arm(this.timeoutMs);
    return entry;
  }

  /** Takes the request out (idempotent). */
  remove(entry: InflightRequest): void {
    if (entry.onTimeout === null) return;
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    entry.prev = entry.next = null;
    entry.onTimeout = entry.onStop = null;
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
    for (let entry = this.head; entry; entry = this.head) {
      if (entry.deadline > now) {
        this.timer = this.arm(entry.deadline - now);
        return;
      }
      const onTimeout = entry.onTimeout as () => void;
      this.remove(entry);
      onTimeout();
    }
    this.timer = undefined;
  }

  private stopAll(signal: AbortSignal): void {
    // Collected first: a stop callback may end other requests of the list.
    const stopped: InflightRequest[] = [];
    for (let entry = this.head; entry; entry = entry.next) if (entry.signal === signal) stopped.push(entry);
    for (const entry of stopped) {
      const onStop = entry.onStop;
      if (onStop === null) continue;
      this.remove(entry);
      onStop();
    }
  }
}

// Retrying what a Kubernetes client must retry: a 5xx, a 429 or a dropped connection from the API server
// (an apiserver restart, an overloaded control plane) — with exponential back-off until a deadline.
// A refusal (401, 403, 404, 422) is final at once: waiting does not grant a permission.
import { TargetError } from '../errors.ts';

export interface RetryOptions {
  /** give up once the next attempt would start after this (ms, the `now` clock) */
  deadline: number;
  now: () => number;
  signal?: AbortSignal;
  /** told before each wait: the failure and the wait in ms */
  onRetry?: (err: TargetError, waitMs: number) => void;
  firstWaitMs?: number;
  maxWaitMs?: number;
}

export function isTransient(err: unknown): err is TargetError {
  return err instanceof TargetError && err.transient;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function withRetry<T>(attempt: () => Promise<T>, opts: RetryOptions): Promise<T> {
  let wait = opts.firstWaitMs ?? 200;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!isTransient(err) || opts.signal?.aborted || opts.now() + wait > opts.deadline) throw err;
      opts.onRetry?.(err, wait);
      await sleep(wait, opts.signal);
      wait = Math.min(wait * 2, opts.maxWaitMs ?? 5000);
    }
  }
}

// Watches finished requests and says when the run must stop: too many errors (--max-error-rate, judged
// once at least MIN_REQUESTS_FOR_ERROR_RATE have finished, so one early failure cannot end a run), or a
// gateway that cannot be reached at all (every request so far failed to connect).
import { RunFailed, UsageError } from '../errors.ts';
import type { RequestRecord } from '../types.ts';

export const MIN_REQUESTS_FOR_ERROR_RATE = 20;
/** Connection failures in a row, before any success, that mean "wrong URL or gateway down". */
export const UNREACHABLE_AFTER = 3;

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export class RunGuard {
  private readonly maxErrorRate: number;
  private readonly gatewayUrl: string;
  total = 0;
  errors = 0;
  private successes = 0;
  private connectFailures = 0;
  private lastConnectCode = '';
  private lastError = '';

  constructor(opts: { maxErrorRate: number; gatewayUrl: string }) {
    this.maxErrorRate = opts.maxErrorRate;
    this.gatewayUrl = opts.gatewayUrl;
  }

  /** Counts one finished request; returns the error to stop the run with, if it must stop. */
  observe(record: RequestRecord, errorCode?: string): Error | undefined {
    this.total++;
    if (record.error === undefined) {
      this.successes++;
    } else {
      this.errors++;
      this.lastError = record.error;
      if (errorCode !== undefined && CONNECT_CODES.has(errorCode)) {
        this.connectFailures++;
        this.lastConnectCode = errorCode;
      }
    }
    if (this.successes === 0 && this.connectFailures >= UNREACHABLE_AFTER) return this.unreachable();
    if (this.total >= MIN_REQUESTS_FOR_ERROR_RATE && this.errors / this.total > this.maxErrorRate) {
      return new RunFailed(
        `error rate ${((this.errors / this.total) * 100).toFixed(1)} % (${this.errors} of ${this.total} requests) ` +
          `is above --max-error-rate ${this.maxErrorRate}; last error: ${this.lastError}`,
      );
    }
    return undefined;
  }

  /** At the end: a run where every request failed to connect never reached the gateway. */
  finish(): Error | undefined {
    if (this.total > 0 && this.successes === 0 && this.connectFailures === this.total)
      return this.unreachable();
    return undefined;
  }

  /** Nothing ever answered at --gateway-url: a wrong flag value, so bad input (exit 2, issue #3). */
  private unreachable(): UsageError {
    return new UsageError(
      `cannot reach gateway ${this.gatewayUrl}: ${this.lastConnectCode} (check --gateway-url)`,
    );
  }
}

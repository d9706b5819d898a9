// Latency percentiles over mergeable HDR histograms (autocannon's habit, STYLE.md "Mergeable histograms"):
// one per phase and per stage, merged across shards before a percentile is read. Pure.
import { build, type Histogram } from 'hdr-histogram-js';
import type { Percentiles } from '../types.ts';

// Microsecond resolution up to one hour, three significant digits (0.1 % error), growing as needed.
const HIGHEST_US = 3_600_000_000;

export class LatencyHistogram {
  private readonly h: Histogram;
  /** Durations that came out negative (a clock step) and were recorded as 0 (DESIGN "Runtime"). */
  clamped = 0;

  constructor() {
    this.h = build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: HIGHEST_US,
      numberOfSignificantValueDigits: 3,
      autoResize: true,
      useWebAssembly: false,
    });
  }

  get count(): number {
    return this.h.totalCount;
  }

  record(ms: number): void {
    if (!Number.isFinite(ms)) return;
    if (ms < 0) {
      this.clamped++;
      ms = 0;
    }
    this.h.recordValue(Math.round(ms * 1000));
  }

  merge(other: LatencyHistogram): void {
    this.h.add(other.h);
    this.clamped += other.clamped;
  }

  /** ms at a percentile (0–100), rounded to the microsecond; null when empty. */
  at(percentile: number): number | null {
    if (this.h.totalCount === 0) return null;
    return this.h.getValueAtPercentile(percentile) / 1000;
  }

  percentiles(): Percentiles {
    return { p50: this.at(50), p95: this.at(95), p99: this.at(99) };
  }
}

export function mergeAll(histograms: Iterable<LatencyHistogram>): LatencyHistogram {
  const out = new LatencyHistogram();
  for (const h of histograms) out.merge(h);
  return out;
}

// Mergeable latency histograms (autocannon's use of hdr-histogram-js): values in microseconds, 3
// significant digits, auto-resizing; encoded to compressed base64 to cross worker-thread and shard
// boundaries, added together before any percentile is read.
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

export function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3, autoResize: true });
}

/** Records a duration in ms (microsecond resolution); negative values are the caller's to clamp. */
export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.max(0, Math.round(ms * 1000)));
}

/** Percentile in ms, null when empty. */
export function percentileMs(h: Histogram, p: number): number | null {
  return h.totalCount === 0 ? null : h.getValueAtPercentile(p) / 1000;
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function mergeEncoded(into: Histogram, encoded: string): void {
  const other = hdr.decodeFromCompressedBase64(encoded);
  into.add(other);
  other.destroy();
}

/** Rounds to 0.1 ms for files and lines people read. */
export function round1(ms: number): number {
  return Math.round(ms * 10) / 10;
}

// Runners emit, sinks aggregate (k6's metrics engine): every finished request goes to each sink, and
// each stage mark when a stage ends. Sinks know nothing of each other.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { UsageError } from '../errors.ts';
import type { RequestRecord, StageMark } from '../types.ts';
import { newHistogram, percentileMs, recordMs, type Histogram } from './histogram.ts';

export interface RequestSink {
  record(record: RequestRecord): void;
  stageEnd?(mark: StageMark): void;
  close?(): void;
}

/** Lines held before a write even if the event loop has not turned yet. */
const FLUSH_BYTES = 64 * 1024;

/**
 * Appends one JSON line per item. Lines are written with one synchronous write per event-loop turn (and
 * at 64 KB): a write per line was a tenth of ramp-load's CPU at thousands of requests/s. Once a turn has
 * ended its lines are in the kernel, and the process's `exit` (SIGTERM through the CLI, an uncaught
 * error, a normal end) writes what the last turn held, so only a SIGKILL can lose one turn's lines.
 */
export class JsonLinesFile {
  readonly path: string;
  private fd: number | null;
  private pending = '';
  private flushScheduled = false;
  private readonly flushOnExit = (): void => this.flush();

  constructor(path: string) {
    this.path = path;
    try {
      this.fd = openSync(path, 'a');
    } catch (err) {
      // A directory, a read-only place: bad --out, said before any request is sent.
      throw new UsageError(
        `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (choose a writable path)`,
      );
    }
    process.on('exit', this.flushOnExit);
  }

  append(item: unknown): void {
    if (this.fd === null) throw new Error(`${this.path} is closed`);
    this.pending += `${JSON.stringify(item)}\n`;
    if (this.pending.length >= FLUSH_BYTES) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  /** Writes the lines held so far. */
  flush(): void {
    if (this.fd === null || this.pending === '') return;
    const lines = this.pending;
    this.pending = '';
    writeSync(this.fd, lines);
  }

  close(): void {
    this.flush();
    process.off('exit', this.flushOnExit);
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

export function recordFileSink(path: string): RequestSink {
  const file = new JsonLinesFile(path);
  return { record: (r) => file.append(r), close: () => file.close() };
}

export function stageMarkFileSink(path: string): RequestSink {
  const file = new JsonLinesFile(path);
  return { record: () => undefined, stageEnd: (m) => file.append(m), close: () => file.close() };
}

interface StageTally {
  requests: number;
  errors: number;
  ttft: Histogram;
}

/** Per-stage counts and TTFT histogram of the successful requests. */
export class StageStats implements RequestSink {
  private readonly stages = new Map<number, StageTally>();

  record(r: RequestRecord): void {
    let tally = this.stages.get(r.stage);
    if (!tally) {
      tally = { requests: 0, errors: 0, ttft: newHistogram() };
      this.stages.set(r.stage, tally);
    }
    tally.requests++;
    if (r.error !== undefined) tally.errors++;
    else if (r.ttftMs !== null) recordMs(tally.ttft, r.ttftMs);
  }

  summary(stage: number): {
    requests: number;
    errors: number;
    ttftP50: number | null;
    ttftP95: number | null;
  } {
    const tally = this.stages.get(stage);
    if (!tally) return { requests: 0, errors: 0, ttftP50: null, ttftP95: null };
    return {
      requests: tally.requests,
      errors: tally.errors,
      ttftP50: percentileMs(tally.ttft, 50),
      ttftP95: percentileMs(tally.ttft, 95),
    };
  }

  close(): void {
    for (const t of this.stages.values()) t.ttft.destroy();
    this.stages.clear();
  }
}

const ms = (v: number | null): string => (v === null ? 'n/a' : `${Math.round(v)} ms`);

/** `stage 2 16x200: 200 req, 0 err, 41.3 req/s, TTFT p50 52 ms p95 80 ms` */
export function progressLine(
  mark: Pick<StageMark, 'stage' | 'spec' | 'achievedRps'>,
  stats: StageStats,
): string {
  const s = stats.summary(mark.stage);
  return (
    `stage ${mark.stage} ${mark.spec}: ${s.requests} req, ${s.errors} err, ${mark.achievedRps.toFixed(1)} req/s, ` +
    `TTFT p50 ${ms(s.ttftP50)} p95 ${ms(s.ttftP95)}`
  );
}

/** Writes each stage's progress line to stderr when it ends, from its own TTFT histograms. */
export function progressSink(stderr: Writable): RequestSink {
  const stats = new StageStats();
  return {
    record: (r) => stats.record(r),
    stageEnd: (mark) => {
      stderr.write(`${progressLine(mark, stats)}${mark.generatorLimited ? ' (generator-limited)' : ''}\n`);
    },
    close: () => stats.close(),
  };
}

/** Fans records and marks out to every sink. */
export function fanOut(sinks: readonly RequestSink[]): Required<RequestSink> {
  return {
    record: (r) => {
      for (const s of sinks) s.record(r);
    },
    stageEnd: (m) => {
      for (const s of sinks) s.stageEnd?.(m);
    },
    close: () => {
      for (const s of sinks) s.close?.();
    },
  };
}

// Figure 2: how exactly ramp-load measures time to first token. The pod is set to a known TTFT (a
// fixed prefill overhead, nothing per token: TTFT = overhead whatever the cache holds) and ramp-load
// streams at 1, 64 and 512 concurrent requests; the error is ttftMs − the known TTFT, per request.
// At 64 and 512 the requests come open-loop at the rate that keeps that many streams open: a closed
// loop would send them in lockstep bursts (every stream of the sim ends on the same decode tick), and
// a burst of 512 arrivals queues in the pod's event loop — server time, not measurement error. Streams
// are made long (slow decode) so many open streams cost little CPU between first tokens. The pods'
// process also times each first content itself (arrival at its handler → write), which splits the
// error into what the pod delivered late and what the client added. At 512 streams the same open loop
// runs once more with neither ramp-load nor the pod (bench/ttft-floor.ts): what bare Node reaches here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestRecord } from '../src/types.ts';
import { shapeFlags, type BenchShape } from './body.ts';
import type { FirstContentSample, FirstContentTrace } from './pods-server.ts';
import type { FloorLegs } from './ttft-floor.ts';
import { startPods } from './pods.ts';
import { firstJsonLine, NODE, pinned, run, start, stop } from './procs.ts';
import { runRampLoad } from './tools.ts';
import { median, percentile } from './stats.ts';

export const KNOWN_TTFT_MS = 50;

export interface TtftLevel {
  /** streams open at once */
  concurrency: number;
  /** the pod's decode speed and answer length: with the rate, they set how many streams are open */
  interTokenMs: number;
  maxTokens: number;
  /** null: closed loop with `concurrency` slots; else open loop at this rate */
  rateRps: number | null;
  requests: number;
  /** records sent in the first this-many ms are not measured (connections opening, streams filling up) */
  settleMs: number;
}

// Answers are 4–8 tokens (seeded, uniform from max/2 to max): a stream lasts 50 + (6 − 1) × ITL ms on
// average, so 64 streams need 64 / 0.55 s ≈ 116 rps at 100 ms ITL, and 512 need 512 / 2.55 s ≈ 200 rps.
export const TTFT_LEVELS: TtftLevel[] = [
  { concurrency: 1, interTokenMs: 1, maxTokens: 4, rateRps: null, requests: 450, settleMs: 2000 },
  { concurrency: 64, interTokenMs: 100, maxTokens: 8, rateRps: 116, requests: 1600, settleMs: 2000 },
  { concurrency: 512, interTokenMs: 500, maxTokens: 8, rateRps: 200, requests: 2800, settleMs: 5000 },
];

export interface Placement {
  name: string;
  loadCpu: number | null;
  serverCpu: number | null;
  /** Node/V8 flags for both processes (the GC-tuned row) */
  nodeArgs?: string[];
}

/**
 * A process pinned to one CPU makes V8's parallel scavenger wait for its own helper threads, which share
 * that CPU (`--trace-gc-nvp`: pauses several times the scavenge's work). One GC thread and a 1 MB young
 * generation trade that for many short pauses. Measured as an extra row, not the default: on a machine
 * with free cores the parallel scavenger is the faster one.
 */
export const GC_TUNED_FLAGS = ['--single-threaded-gc', '--max-semi-space-size=1'];

export interface Spread {
  median: number;
  p99: number;
  min: number;
  max: number;
}

export interface TtftFigure {
  placement: string;
  nodeArgs: string[];
  loadCpu: number | null;
  serverCpu: number | null;
  concurrency: number;
  /** median streams open when a measured request was sent */
  measuredConcurrency: number;
  samples: number;
  errors: number;
  /** ramp-load's ttftMs − known TTFT, ms */
  error: Spread;
  /** the pod's own arrival → first content write, − known TTFT, ms: how late the pod delivered */
  podLate: Spread | null;
  /**
   * Per request, ramp-load's ttftMs − the pod's own arrival → first content: what the two loopback hops
   * and the client added (requests matched by send order; `matched` of `samples`).
   */
  clientOverPod: (Spread & { matched: number }) | null;
  achievedRps: number;
  /** the pods' process: GC pauses in the measured window, how many over 2 ms, the longest */
  podGc: { pauses: number; over2Ms: number; maxMs: number };
  /** ramp-load's event-loop lag p99 over the level (GC pauses and long tasks block the TTFT stamp too) */
  clientLoopLagP99Ms: number;
  /** bare node:http + undici at the same streams and rate (bench/ttft-floor.ts); the target level only */
  floor?: FloorFigure;
}

export interface FloorFigure {
  error: Spread;
  samples: number;
  failed: number;
  /** the error's three legs (bench/ttft-floor.ts): request, server timer, response */
  legs: Record<keyof FloorLegs, Spread>;
  /** samples the server stamped too (the legs' count) */
  stamped: number;
}

const r3 = (v: number): number => Math.round(v * 1000) / 1000;

function spread(values: number[]): Spread {
  return {
    median: r3(median(values)),
    p99: r3(percentile(values, 99)),
    min: r3(Math.min(...values)),
    max: r3(Math.max(...values)),
  };
}

/**
 * Pairs each measured record with the pod's sample of the same request: both in send order, a pair only
 * when the pod saw it arrive within 5 ms after the client's (whole-ms) start stamp.
 */
function pairWithPod(records: RequestRecord[], pod: FirstContentSample[]): number[] {
  const sends = [...records].sort((a, b) => a.startMs - b.startMs);
  const arrivals = [...pod].sort((a, b) => a.arrivalEpochMs - b.arrivalEpochMs);
  const over: number[] = [];
  let j = 0;
  for (const r of sends) {
    while (j < arrivals.length && (arrivals[j] as FirstContentSample).arrivalEpochMs < r.startMs - 1) j++;
    const a = arrivals[j];
    if (!a || a.arrivalEpochMs > r.startMs + 5) continue;
    j++;
    if (r.ttftMs !== null && r.error === undefined) over.push(r.ttftMs - a.firstContentMs);
  }
  return over;
}

/** Streams open at each record's send: records sent before it and not finished by then. */
function openAt(records: RequestRecord[], measured: RequestRecord[]): number[] {
  const ends = records.map((r) => r.startMs + r.e2eMs);
  return measured.map(
    (m) => records.filter((r, i) => r.startMs <= m.startMs && (ends[i] as number) > m.startMs).length,
  );
}

export async function benchTtftLevel(dir: string, level: TtftLevel, place: Placement): Promise<TtftFigure> {
  const traceFile = join(dir, `ttft-${place.name}-${level.concurrency}.pod.json`);
  const pods = await startPods({
    pods: 1,
    latency: { prefillOverheadMs: KNOWN_TTFT_MS, prefillPerTokenMs: 0, interTokenMs: level.interTokenMs },
    cpu: place.serverCpu,
    firstContentFile: traceFile,
    ...(place.nodeArgs ? { nodeArgs: place.nodeArgs } : {}),
  });
  const c = level.concurrency;
  const shape: BenchShape = {
    model: 'meta-llama/Llama-3.2-3B-Instruct',
    seed: 11,
    // An open loop needs an idle session for every send: more sessions than streams.
    sessions: level.rateRps === null ? c : Math.ceil(c * 1.5),
    turns: 1,
    systemPromptTokens: 50,
    userTokens: 40,
    maxTokens: level.maxTokens,
  };
  const out = join(dir, `ttft-${place.name}-${c}.jsonl`);
  const stages = level.rateRps === null ? `${c}x${level.requests}` : `${level.rateRps}rps:${level.requests}`;
  let marks;
  try {
    ({ marks } = await runRampLoad({
      args: [
        '--gateway-url',
        (pods.state.pods[0] as { url: string }).url,
        '--stages',
        stages,
        ...shapeFlags(shape),
        '--max-error-rate',
        '1',
      ],
      out,
      cpu: place.loadCpu,
      ...(place.nodeArgs ? { nodeArgs: place.nodeArgs } : {}),
    }));
  } finally {
    await pods.stop();
  }
  const records = readFileSync(out, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RequestRecord);
  const from = Math.min(...records.map((r) => r.startMs)) + level.settleMs;
  const measured = records.filter((r) => r.startMs >= from);
  const ok = measured.filter((r) => r.error === undefined && r.ttftMs !== null);
  const trace = JSON.parse(readFileSync(traceFile, 'utf8')) as FirstContentTrace;
  const pod = trace.samples.filter((s) => s.arrivalEpochMs >= from);
  const gc = trace.gcPauses.filter((p) => p.startEpochMs >= from).map((p) => p.ms);
  return {
    placement: place.name,
    nodeArgs: place.nodeArgs ?? [],
    loadCpu: place.loadCpu,
    serverCpu: place.serverCpu,
    concurrency: c,
    measuredConcurrency: median(openAt(records, measured)),
    samples: ok.length,
    errors: measured.length - ok.length,
    error: spread(ok.map((r) => (r.ttftMs as number) - KNOWN_TTFT_MS)),
    podLate: pod.length ? spread(pod.map((s) => s.firstContentMs - KNOWN_TTFT_MS)) : null,
    clientOverPod: ((over) => (over.length ? { ...spread(over), matched: over.length } : null))(
      pairWithPod(ok, pod),
    ),
    achievedRps: marks[0]?.achievedRps ?? NaN,
    podGc: { pauses: gc.length, over2Ms: gc.filter((ms) => ms > 2).length, maxMs: r3(Math.max(0, ...gc)) },
    clientLoopLagP99Ms: marks[0]?.eventLoopLagMs.p99 ?? NaN,
  };
}

const FLOOR = join(new URL('.', import.meta.url).pathname, 'ttft-floor.ts');

/**
 * The same open loop with neither ramp-load nor the simulated pod (bench/ttft-floor.ts): a bare server
 * and a bare undici client, placed and prioritised alike. Its error is what Node and this machine cost.
 */
export async function benchTtftFloor(level: TtftLevel, place: Placement): Promise<FloorFigure> {
  if (level.rateRps === null) throw new Error('the floor runs open-loop levels only');
  // The pod's answers are uniform from max/2 to max tokens: the floor sends their mean.
  const tokens = Math.round((Math.ceil(level.maxTokens / 2) + level.maxTokens) / 2);
  const [scmd, sargs] = pinned(place.serverCpu, NODE, [
    FLOOR,
    'server',
    String(KNOWN_TTFT_MS),
    String(level.interTokenMs),
    String(tokens),
  ]);
  const server = start(scmd, sargs);
  try {
    const { url } = await firstJsonLine<{ url: string }>(server);
    const [ccmd, cargs] = pinned(place.loadCpu, NODE, [
      FLOOR,
      'client',
      url,
      String(level.rateRps),
      String(level.requests),
      String(level.settleMs),
      String(KNOWN_TTFT_MS),
    ]);
    const { stdout } = await run(ccmd, cargs);
    const { errorsMs, legsMs, failed } = JSON.parse(stdout) as {
      errorsMs: number[];
      legsMs: FloorLegs;
      failed: number;
    };
    const legs = {
      request: spread(legsMs.request),
      timer: spread(legsMs.timer),
      response: spread(legsMs.response),
    };
    return {
      error: spread(errorsMs),
      samples: errorsMs.length,
      failed,
      legs,
      stamped: legsMs.request.length,
    };
  } finally {
    await stop(server);
  }
}

export async function benchTtft(
  dir: string,
  placements: Placement[],
  log: (l: string) => void,
): Promise<TtftFigure[]> {
  const figures: TtftFigure[] = [];
  for (const place of placements) {
    for (const level of TTFT_LEVELS) {
      log(`ttft: ${level.concurrency} streams, ${place.name}`);
      const figure = await benchTtftLevel(dir, level, place);
      if (level === TTFT_LEVELS[TTFT_LEVELS.length - 1]) {
        log(`ttft: ${level.concurrency} streams, ${place.name}, bare node:http + undici`);
        figure.floor = await benchTtftFloor(level, place);
      }
      figures.push(figure);
    }
  }
  // The target level once more with the GC tuned in both processes, placed as the last placement.
  const last = placements[placements.length - 1];
  const top = TTFT_LEVELS[TTFT_LEVELS.length - 1];
  if (last && top) {
    log(`ttft: ${top.concurrency} streams, ${last.name}, GC tuned`);
    figures.push(
      await benchTtftLevel(dir, top, { ...last, name: `${last.name}-gc`, nodeArgs: GC_TUNED_FLAGS }),
    );
  }
  return figures;
}

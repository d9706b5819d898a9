// Figure 1: requests/s of ramp-load (non-streaming and streaming) next to autocannon and wrk, on the
// same endpoint (one zero-latency vLLM pod in its own process, pinned to the other CPU, started fresh
// for every measurement), the same concurrency and, for the fixed-body tools, ramp-load's own first
// request body. Next to requests/s, what each generator spent per request (CPU time, start-up taken
// out): unlike requests/s, that figure holds on a machine other work shares.
import { join } from 'node:path';
import { firstRequestBody, shapeFlags, type BenchShape } from './body.ts';
import { startPods } from './pods.ts';
import { code } from './code.ts';
import { cpuSeconds, NODE, pinned, run } from './procs.ts';
import {
  ensureWrk,
  runAutocannon,
  runRampLoad,
  runUndiciFloor,
  runWrk,
  writeWrkScript,
  type ToolResult,
} from './tools.ts';
import { median } from './stats.ts';
import type { WorkloadCostOptions } from './workload-cost.ts';

export interface ThroughputOptions {
  dir: string;
  concurrency: number;
  seconds: number;
  rounds: number;
  loadCpu: number | null;
  serverCpu: number | null;
  log: (line: string) => void;
}

export interface ToolFigure {
  /** median over the rounds */
  rps: number;
  perRound: number[];
  errors: number;
  /** the generator's CPU per request, start-up taken out, ms (median); null without /usr/bin/time */
  cpuMsPerRequest: number | null;
  /** the pod process's CPU use while this tool ran, % of one core (median) */
  serverCpuPct: number;
  /** ramp-load only: its stage marks' schedule lag and event-loop lag p99 (worst round) */
  scheduleLagP99Ms?: number;
  eventLoopLagP99Ms?: number;
  generatorLimited?: boolean;
}

export interface ThroughputResult {
  concurrency: number;
  seconds: number;
  rounds: number;
  body: { bytes: number; maxTokens: number };
  /** CPU seconds of a run that sends one request: what the Node generators spend starting */
  startupCpuSeconds: { autocannon: number | null; rampLoad: number | null; undici: number | null };
  wrk: ToolFigure | null;
  wrkNote?: string;
  autocannon: ToolFigure;
  /** undici's Pool.dispatch alone on the fixed body: the floor under ramp-load's cost per request */
  undici: ToolFigure;
  rampLoad: ToolFigure;
  rampLoadStream: ToolFigure;
  /**
   * ramp-load's runner, session pool, request body, answer parse and records with the answers handed
   * back in-process (bench/workload-cost.ts): its own CPU per request on top of the HTTP client, ms
   */
  workloadCpuMsPerRequest: number;
}

const WORKLOAD_COST = join(new URL('.', import.meta.url).pathname, 'workload-cost.ts');

/** ramp-load's own work per request, no HTTP: one run in a process of its own on the load CPU. */
async function workloadCost(o: ThroughputOptions, shape: BenchShape, requests: number): Promise<number> {
  const options: WorkloadCostOptions = {
    shape,
    concurrency: o.concurrency,
    requests,
    modulePattern: code().module('@'),
    out: join(o.dir, 'workload-cost.jsonl'),
  };
  const [cmd, args] = pinned(o.loadCpu, NODE, [WORKLOAD_COST, JSON.stringify(options)]);
  const { stdout } = await run(cmd, args);
  return (JSON.parse(stdout) as { cpuMsPerRequest: number }).cpuMsPerRequest;
}

export const THROUGHPUT_SHAPE: Omit<BenchShape, 'sessions'> = {
  model: 'meta-llama/Llama-3.2-3B-Instruct',
  seed: 7,
  // One-turn conversations: every ramp-load request has the same shape as the fixed body (a ~50-token
  // system prompt, a ~40-token question, up to 16 tokens back) instead of a growing history.
  turns: 1,
  systemPromptTokens: 50,
  userTokens: 40,
  maxTokens: 16,
};

interface Sample {
  result: ToolResult;
  startupCpu: number | null;
  serverCpuPct: number;
  lag?: { schedule: number; loop: number; limited: boolean };
}

function cpuMsPerRequest(s: Sample): number | null {
  if (s.result.cpuSeconds === null || s.result.requests === 0) return null;
  return ((s.result.cpuSeconds - (s.startupCpu ?? 0)) * 1000) / s.result.requests;
}

function figure(samples: Sample[]): ToolFigure {
  const cpu = samples.map(cpuMsPerRequest).filter((v) => v !== null);
  const f: ToolFigure = {
    rps: median(samples.map((s) => s.result.rps)),
    perRound: samples.map((s) => Math.round(s.result.rps)),
    errors: samples.reduce((n, s) => n + s.result.errors, 0),
    cpuMsPerRequest: cpu.length ? Math.round(median(cpu) * 1000) / 1000 : null,
    serverCpuPct: median(samples.map((s) => s.serverCpuPct)),
  };
  const lags = samples.map((s) => s.lag).filter((l) => l !== undefined);
  if (lags.length > 0) {
    f.scheduleLagP99Ms = Math.max(...lags.map((l) => l.schedule));
    f.eventLoopLagP99Ms = Math.max(...lags.map((l) => l.loop));
    f.generatorLimited = lags.some((l) => l.limited);
  }
  return f;
}

const ZERO = { prefillOverheadMs: 0, prefillPerTokenMs: 0, interTokenMs: 0 };

/**
 * One measurement on a pod process of its own, started fresh and warmed (JIT) with the fixed body: a
 * pod's caches fill with what the previous tool sent (ramp-load sends new conversations, the fixed-body
 * tools one prompt), and that state changes its speed, so no tool inherits another's.
 */
async function measured(
  o: ThroughputOptions,
  warm: { body: string },
  startupCpu: number | null,
  go: (base: string) => Promise<Omit<Sample, 'serverCpuPct' | 'startupCpu'>>,
): Promise<Sample> {
  const pods = await startPods({ pods: 1, latency: ZERO, cpu: o.serverCpu });
  try {
    const base = (pods.state.pods[0] as { url: string }).url;
    await runAutocannon({
      url: `${base}/v1/chat/completions`,
      body: warm.body,
      connections: o.concurrency,
      seconds: 1,
      cpu: o.loadCpu,
    });
    const cpu0 = cpuSeconds(pods.pid);
    const t0 = performance.now();
    const s = await go(base);
    const wall = (performance.now() - t0) / 1000;
    return { ...s, startupCpu, serverCpuPct: Math.round(((cpuSeconds(pods.pid) - cpu0) / wall) * 100) };
  } finally {
    await pods.stop();
  }
}

export async function benchThroughput(o: ThroughputOptions): Promise<ThroughputResult> {
  const shape: BenchShape = { ...THROUGHPUT_SHAPE, sessions: o.concurrency };
  const body = await firstRequestBody(shape, false, Date.now());
  const wrkNote = ensureWrk();
  const script = writeWrkScript(o.dir, body);
  const c = o.concurrency;
  const path = '/v1/chat/completions';
  const rampArgs = (base: string, stages: string, stream: boolean): string[] => [
    '--gateway-url',
    base,
    '--stages',
    stages,
    ...shapeFlags(shape),
    '--max-error-rate',
    '1',
    ...(stream ? [] : ['--no-stream']),
  ];
  const samples = {
    wrk: [] as Sample[],
    autocannon: [] as Sample[],
    undici: [] as Sample[],
    ramp: [] as Sample[],
    rampStream: [] as Sample[],
  };
  // What the Node generators spend starting up (one request each), taken out of their CPU per request.
  let startup: ThroughputResult['startupCpuSeconds'] = { autocannon: null, rampLoad: null, undici: null };
  await measured(o, { body }, null, async (base) => {
    const ramp = await runRampLoad({
      args: rampArgs(base, '1x1', false),
      out: join(o.dir, 'throughput-startup.jsonl'),
      cpu: o.loadCpu,
    });
    const ac = await runAutocannon({
      url: `${base}${path}`,
      body,
      connections: 1,
      seconds: 1,
      amount: 1,
      cpu: o.loadCpu,
    });
    const floor = await runUndiciFloor({
      url: `${base}${path}`,
      body,
      connections: 1,
      seconds: 0.001,
      cpu: o.loadCpu,
    });
    startup = { autocannon: ac.cpuSeconds, rampLoad: ramp.cpuSeconds, undici: floor.cpuSeconds };
    return { result: ac };
  });
  for (let round = 1; round <= o.rounds; round++) {
    o.log(`throughput round ${round}/${o.rounds} (${c} connections, ${o.seconds}s each)`);
    if (!wrkNote) {
      samples.wrk.push(
        await measured(o, { body }, 0, async (base) => ({
          result: await runWrk({
            url: `${base}${path}`,
            script,
            connections: c,
            seconds: o.seconds,
            cpu: o.loadCpu,
          }),
        })),
      );
    }
    // autocannon and undici alone take the same fixed body the same way.
    for (const [tool, runTool] of [
      ['autocannon', runAutocannon],
      ['undici', runUndiciFloor],
    ] as const) {
      samples[tool].push(
        await measured(o, { body }, startup[tool], async (base) => ({
          result: await runTool({
            url: `${base}${path}`,
            body,
            connections: c,
            seconds: o.seconds,
            cpu: o.loadCpu,
          }),
        })),
      );
    }
    for (const stream of [false, true]) {
      const out = join(o.dir, `throughput-${stream ? 'stream' : 'nostream'}-${round}.jsonl`);
      const sample = await measured(o, { body }, startup.rampLoad, async (base) => {
        const r = await runRampLoad({
          args: rampArgs(base, `${c}x${o.seconds}s`, stream),
          out,
          cpu: o.loadCpu,
        });
        const m = r.marks[r.marks.length - 1];
        if (!m) throw new Error(`ramp-load wrote no stage mark (${out})`);
        return {
          result: {
            requests: m.completed,
            seconds: (m.endMs - m.startMs) / 1000,
            rps: m.achievedRps,
            errors: m.errors,
            cpuSeconds: r.cpuSeconds,
          },
          lag: { schedule: m.scheduleLagMs.p99, loop: m.eventLoopLagMs.p99, limited: m.generatorLimited },
        };
      });
      (stream ? samples.rampStream : samples.ramp).push(sample);
    }
  }
  o.log('throughput: ramp-load without HTTP (its own work per request)');
  const workloadCpuMsPerRequest = await workloadCost(o, shape, 100_000);
  return {
    concurrency: c,
    seconds: o.seconds,
    rounds: o.rounds,
    body: { bytes: Buffer.byteLength(body), maxTokens: shape.maxTokens },
    startupCpuSeconds: startup,
    wrk: samples.wrk.length ? figure(samples.wrk) : null,
    ...(wrkNote ? { wrkNote } : {}),
    autocannon: figure(samples.autocannon),
    undici: figure(samples.undici),
    rampLoad: figure(samples.ramp),
    rampLoadStream: figure(samples.rampStream),
    workloadCpuMsPerRequest,
  };
}

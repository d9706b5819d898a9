// Synthetic inputs for `report` at scale: a run of N request records shaped like a demo run (sessions
// taking turns, prompts growing with each turn, answers, a few errors, the serving pod known), its stage
// marks, and before/after snapshots whose counter deltas match the records. Seeded, no clock.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mulberry32 } from '../src/hash.ts';
import type { PodSnapshot, RequestRecord, Snapshot, StageMark } from '../src/types.ts';

export interface SyntheticRun {
  records: number;
  sessions: number;
  turns: number;
  pods: number;
  stages: number;
  seed: number;
  startMs: number;
}

const RUN_ID = 'kvb-20260101T000000Z-bench';

/** The i-th record of the run (pure): session i mod S, turn from how often that session went before. */
export function syntheticRecord(run: SyntheticRun, i: number, rand: () => number): RequestRecord {
  const session = i % run.sessions;
  const turn = (Math.floor(i / run.sessions) % run.turns) + 1;
  const stage = Math.min(run.stages, Math.floor((i * run.stages) / run.records) + 1);
  const promptTokens = 50 + turn * 240;
  const failed = rand() < 0.002;
  const ttft = 20 + rand() * 60;
  const pod = rand() < 0.97 ? session % run.pods : Math.floor(rand() * run.pods);
  const r: RequestRecord = {
    runId: RUN_ID,
    phase: 'measure',
    stage,
    session,
    turn,
    startMs: run.startMs + i * 5,
    ttftMs: failed ? null : Math.round(ttft * 1000) / 1000,
    e2eMs: Math.round((ttft + 1000 + rand() * 200) * 1000) / 1000,
    promptTokens,
    completionTokens: failed ? 0 : 200,
    prefixReusableTokens: turn === 1 ? 48 : Math.floor((promptTokens - 41) / 16) * 16,
    status: failed ? 503 : 200,
    ...(failed ? { error: 'HTTP 503: injected fault: 503' } : {}),
    servedBy: `decode-${pod}`,
  };
  return r;
}

/** Writes records.jsonl, stages.jsonl, before.json and after.json into dir. */
export async function writeSyntheticRun(
  dir: string,
  run: SyntheticRun,
): Promise<{ records: string; stages: string; before: string; after: string; bytes: number }> {
  const rand = mulberry32(run.seed);
  const paths = {
    records: `${dir}/records.jsonl`,
    stages: `${dir}/stages.jsonl`,
    before: `${dir}/before.json`,
    after: `${dir}/after.json`,
  };
  const out = createWriteStream(paths.records);
  const queries = new Array<number>(run.pods).fill(0);
  let bytes = 0;
  let chunk = '';
  for (let i = 0; i < run.records; i++) {
    const r = syntheticRecord(run, i, rand);
    if (r.error === undefined) queries[Number(r.servedBy?.slice(7))]! += r.promptTokens;
    chunk += `${JSON.stringify(r)}\n`;
    if (chunk.length > 1 << 20) {
      bytes += chunk.length;
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  bytes += chunk.length;
  out.end(chunk);
  await once(out, 'finish');

  const perStage = Math.ceil(run.records / run.stages);
  const marks: StageMark[] = Array.from({ length: run.stages }, (_, k) => ({
    runId: RUN_ID,
    stage: k + 1,
    spec: `64x${perStage}`,
    startMs: run.startMs + k * perStage * 5,
    endMs: run.startMs + (k + 1) * perStage * 5,
    requested: perStage,
    completed: perStage,
    errors: 0,
    achievedRps: 200,
    scheduleLagMs: { p50: 0.2, p99: 1.5 },
    eventLoopLagMs: { p50: 0.1, p99: 2 },
    generatorLimited: false,
  }));
  const { writeFile } = await import('node:fs/promises');
  await writeFile(paths.stages, marks.map((m) => JSON.stringify(m)).join('\n') + '\n');

  const pod = (i: number, q: number): PodSnapshot => ({
    name: `decode-${i}`,
    uid: `uid-${i}`,
    ip: `10.0.0.${i + 1}`,
    startTime: '2026-01-01T00:00:00Z',
    ready: true,
    counters: {
      prefixCacheQueries: q,
      prefixCacheHits: Math.floor(q * 0.9),
      promptTokens: q,
      generationTokens: Math.floor(q / 10),
      requestSuccess: Math.floor(q / 500),
      preemptions: 0,
    },
  });
  const snap = (label: string, takenAt: string, qs: number[]): Snapshot => ({
    takenAt,
    label,
    source: 'urls',
    model: 'meta-llama/Llama-3.2-3B-Instruct',
    pods: qs.map((q, i) => pod(i, q)),
  });
  await writeFile(
    paths.before,
    JSON.stringify(
      snap(
        'before',
        '2026-01-01T00:00:00Z',
        queries.map(() => 1000),
      ),
    ),
  );
  await writeFile(
    paths.after,
    JSON.stringify(
      snap(
        'after',
        '2026-01-01T02:00:00Z',
        queries.map((q) => 1000 + q),
      ),
    ),
  );
  return { ...paths, bytes };
}

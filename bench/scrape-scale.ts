// Figure 4: `scrape-metrics --via urls` over 64 pods (one process of 64 simulated vLLM pods, pinned to
// the other CPU, each with some traffic behind it so its histograms are filled): the command's wall
// time from process start to exit, as a Tekton step would see it, and the share of it that is start-up.
import { join } from 'node:path';
import { startPods } from './pods.ts';
import { NODE, pinned, run } from './procs.ts';
import { median } from './stats.ts';
import { code } from './code.ts';

export interface ScrapeScaleResult {
  pods: number;
  podsRead: number;
  runs: number;
  /** median wall time of the whole command, s */
  wallSeconds: number;
  perRun: number[];
  /** median wall time of `kv-cache-bench --help` (Node + CLI start-up), s */
  startupSeconds: number;
  exposition: { bytesPerPod: number };
}

async function timed(cmd: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  await run(cmd, args);
  return (performance.now() - t0) / 1000;
}

/** A few chat requests per pod: counters and histograms get samples, as on a pod that served traffic. */
async function warmPods(urls: string[]): Promise<number> {
  const body = JSON.stringify({
    model: 'meta-llama/Llama-3.2-3B-Instruct',
    messages: [{ role: 'user', content: 'How does a prefix cache help a multi-turn chat?' }],
    max_tokens: 8,
  });
  await Promise.all(
    urls.flatMap((u) =>
      [1, 2, 3].map(async () => {
        const r = await fetch(`${u}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await r.text();
      }),
    ),
  );
  return (await (await fetch(`${urls[0]}/metrics`)).text()).length;
}

export async function benchScrapeScale(
  dir: string,
  o: {
    pods: number;
    runs: number;
    loadCpu: number | null;
    serverCpu: number | null;
    log: (l: string) => void;
  },
): Promise<ScrapeScaleResult> {
  o.log(`scrape: starting ${o.pods} pods`);
  const pods = await startPods({
    pods: o.pods,
    latency: { prefillOverheadMs: 0, prefillPerTokenMs: 0, interTokenMs: 0 },
    cpu: o.serverCpu,
  });
  try {
    const urls = pods.state.pods.map((p) => p.url);
    const bytesPerPod = await warmPods(urls);
    const out = join(dir, 'scrape-64.json');
    const scrape = pinned(o.loadCpu, NODE, [
      code().cli,
      'scrape-metrics',
      '--via',
      'urls',
      '--urls',
      urls.map((u) => `${u}/metrics`).join(','),
      '--out',
      out,
      '--label',
      'bench',
    ]);
    const help = pinned(o.loadCpu, NODE, [code().cli, '--help']);
    const perRun: number[] = [];
    const startup: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      perRun.push(await timed(...scrape));
      startup.push(await timed(...help));
    }
    const { readFileSync } = await import('node:fs');
    const snapshot = JSON.parse(readFileSync(out, 'utf8')) as { pods: { error?: string }[] };
    const r3 = (v: number): number => Math.round(v * 1000) / 1000;
    return {
      pods: o.pods,
      podsRead: snapshot.pods.filter((p) => !p.error).length,
      runs: o.runs,
      wallSeconds: r3(median(perRun)),
      perRun: perRun.map(r3),
      startupSeconds: r3(median(startup)),
      exposition: { bytesPerPod },
    };
  } finally {
    await pods.stop();
  }
}

// --scrape-every: a snapshot of the pods' counters every DUR during ramp-load, one JSON line each in
// `<out>.scrapes.jsonl`, for a hit-rate timeline. A failed scrape is logged and never stops the load;
// a slow one is not overlapped by the next.
import type { Io } from '../io.ts';
import type { Logger } from '../log.ts';
import type { ScrapeOptions } from './options.ts';
import { JsonLinesFile } from './sinks.ts';

export interface ScrapeLoop {
  stop(): Promise<void>;
}

export function startScrapeLoop(opts: ScrapeOptions & { out: string }, io: Io, log: Logger): ScrapeLoop {
  const file = new JsonLinesFile(opts.out);
  let n = 0;
  let current: Promise<void> | null = null;
  const tick = (): void => {
    if (current) return;
    const label = `scrape-${++n}`;
    current = (async () => {
      try {
        const { takeSnapshot } = await import('../metrics/take-snapshot.ts');
        file.append(await takeSnapshot({ ...opts.snapshot, label }, io));
      } catch (err) {
        log.warn({ label, err: (err as Error).message }, 'periodic scrape failed; the load goes on');
      } finally {
        current = null;
      }
    })();
  };
  const timer = setInterval(tick, opts.everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await current;
      file.close();
    },
  };
}

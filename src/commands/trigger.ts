// trigger: POST a JSON body to a Tekton Triggers EventListener, which starts a PipelineRun. The nightly
// CronJob (triggers/cronjob.yaml) runs it, so one pinned image serves every object.
import type { CommandModule } from '../cli.ts';
import { parseDurationMs } from '../duration.ts';
import { TargetError, UsageError } from '../errors.ts';
import { writeLine } from '../io.ts';

/** `k=v` pairs → the JSON body; a later pair with the same key wins. */
export function triggerBody(pairs: readonly string[]): Record<string, string> {
  const body: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new UsageError(
        `--param ${JSON.stringify(pair)} is not key=value (e.g. --param namespace=llm-d stages=4x40)`,
      );
    body[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return body;
}

function eventListenerUrl(raw: unknown): URL {
  if (typeof raw !== 'string' || raw === '') {
    throw new UsageError(
      '--url is required: the EventListener URL, e.g. http://el-kv-cache-bench-nightly.llm-d.svc.cluster.local:8080',
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(
      `--url ${JSON.stringify(raw)} is not a URL (e.g. http://el-kv-cache-bench-nightly.llm-d.svc.cluster.local:8080)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--url must be http or https, got ${url.protocol}`);
  return url;
}

export const triggerCommand: CommandModule = {
  name: 'trigger',
  describe: 'start a PipelineRun through a Tekton Triggers EventListener (what the nightly CronJob runs)',
  flags: {
    url: { type: 'string', describe: 'EventListener URL (its Service el-<name>, port 8080)' },
    param: {
      type: 'string',
      array: true,
      default: [],
      describe:
        'body fields as key=value, several after one --param (--param namespace=llm-d stages=4x40,8x120)',
    },
    timeout: { type: 'string', default: '30s', describe: 'how long to wait for the EventListener to answer' },
  },
  async run(args, io) {
    const url = eventListenerUrl(args.url);
    const body = triggerBody((args.param as string[] | undefined) ?? []);
    const timeoutMs = parseDurationMs(String(args.timeout), '--timeout');
    const { request } = await import('undici');
    let status: number;
    let text: string;
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.any([io.signal, AbortSignal.timeout(timeoutMs)]),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      throw new TargetError(`cannot reach the EventListener at ${url.href}: ${(err as Error).message}`);
    }
    // The EventListener answers 202 Accepted with {"eventListener", "namespace", "eventID", ...}.
    if (status < 200 || status > 299)
      throw new TargetError(
        `the EventListener at ${url.href} answered HTTP ${status}: ${text.slice(0, 300)}`,
      );
    writeLine(io.stdout, text.trim() || `HTTP ${status}`);
    return 0;
  },
};

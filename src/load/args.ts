// Flags of warmup and ramp-load (and run/demo, which share them) into validated options. Light at import
// time (no undici, no tokenizer): command modules import it statically. Every bad value is one
// UsageError line naming the flag and what to do.
import { parseSnapshotArgs } from '../commands/snapshot-args.ts';
import { parseDurationMs } from '../duration.ts';
import { UsageError } from '../errors.ts';
import { readKeyFile } from '../files.ts';
import type { Partition } from '../workload/plan.ts';
import { parseStages } from '../workload/stages.ts';
import type { LoadOptions, RampLoadOptions, ScrapeOptions } from './options.ts';

type Args = Record<string, unknown>;

export const MAX_SESSIONS = 10_000;
export const MAX_TURNS = 1_000;
/** Llama 3.2 has a 128k context; prompts beyond this are not a cache benchmark any more. */
export const MAX_TOKENS_FLAG = 32_768;
export const MAX_WORKERS = 64;
export const MAX_SHARDS = 1_024;

/** An integer flag in [min, max]. */
export function intFlag(args: Args, name: string, min: number, max: number): number {
  const v = args[name];
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new UsageError(`--${name} ${String(v)} is not a whole number (give one between ${min} and ${max})`);
  }
  if (v < min || v > max)
    throw new UsageError(`--${name} ${v} is out of range (give one between ${min} and ${max})`);
  return v;
}

function optString(args: Args, name: string): string | undefined {
  const v = args[name];
  if (v === undefined) return undefined;
  const s = String(v).trim();
  if (s.length === 0) throw new UsageError(`--${name} is empty (leave it out or give a value)`);
  return s;
}

export function parseGatewayUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--gateway-url ${JSON.stringify(text)} is not a URL (e.g. http://llm-d-gateway.llm-d.svc)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--gateway-url ${text} must be http:// or https://`);
  }
  if (/\/v1\/?$/.test(url.pathname)) {
    throw new UsageError(
      `--gateway-url ${text}: give the base URL without /v1 (requests go to <url>/v1/chat/completions)`,
    );
  }
  return text.replace(/\/+$/, '');
}

/** `--shard i/K`: this process runs sessions ≡ i (mod K). */
export function parseShard(text: string): Partition {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const of = Number(m?.[2]);
  if (!m || of < 1 || of > MAX_SHARDS || index >= of) {
    throw new UsageError(`--shard ${text} is not i/K with 0 <= i < K <= ${MAX_SHARDS} (e.g. 0/4)`);
  }
  return { index, of };
}

export function readApiKey(args: Args, env: Record<string, string | undefined>): string | undefined {
  const file = optString(args, 'api-key-file');
  if (file !== undefined) return readKeyFile(file, '--api-key-file');
  const fromEnv = env.KV_CACHE_BENCH_API_KEY?.trim();
  return fromEnv ? fromEnv : undefined;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function parseLoadArgs(args: Args, env: Record<string, string | undefined>): LoadOptions {
  const sessions = intFlag(args, 'sessions', 1, MAX_SESSIONS);
  const shard = args.shard !== undefined ? parseShard(String(args.shard)) : undefined;
  if (shard && shard.of > sessions) {
    throw new UsageError(
      `--shard ${shard.index}/${shard.of} splits --sessions ${sessions} into more shards than sessions`,
    );
  }
  const maxErrorRate = Number(args['max-error-rate'] ?? 0.05);
  if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) {
    throw new UsageError(
      `--max-error-rate ${String(args['max-error-rate'])} must be a fraction between 0 and 1 (e.g. 0.05)`,
    );
  }
  const runId = optString(args, 'run-id');
  if (runId !== undefined && !/^[A-Za-z0-9._-]{1,100}$/.test(runId)) {
    throw new UsageError(`--run-id ${runId} may hold only letters, digits, '.', '_' and '-' (at most 100)`);
  }
  const hostHeader = optString(args, 'host-header');
  if (hostHeader !== undefined && /\s/.test(hostHeader))
    throw new UsageError(`--host-header ${hostHeader} has whitespace`);
  const servedByHeader = optString(args, 'served-by-header');
  if (servedByHeader !== undefined && !HEADER_NAME.test(servedByHeader)) {
    throw new UsageError(`--served-by-header ${servedByHeader} is not a header name`);
  }
  const apiKey = readApiKey(args, env);
  const out = optString(args, 'out');
  if (out === undefined) throw new UsageError('--out FILE is required (request records are appended there)');
  return {
    gatewayUrl: parseGatewayUrl(String(args['gateway-url'])),
    ...(hostHeader !== undefined ? { hostHeader } : {}),
    model: optString(args, 'model') ?? 'meta-llama/Llama-3.2-3B-Instruct',
    ...(apiKey !== undefined ? { apiKey } : {}),
    shape: {
      seed: intFlag(args, 'seed', 0, Number.MAX_SAFE_INTEGER),
      sessions,
      turns: intFlag(args, 'turns', 1, MAX_TURNS),
      systemPromptTokens: intFlag(args, 'system-prompt-tokens', 0, MAX_TOKENS_FLAG),
      userTokens: intFlag(args, 'user-tokens', 1, MAX_TOKENS_FLAG),
    },
    maxTokens: intFlag(args, 'max-tokens', 1, MAX_TOKENS_FLAG),
    pinDate: args['pin-date'] !== false,
    stream: args.stream !== false,
    requestTimeoutMs: parseDurationMs(String(args['request-timeout'] ?? '120s'), '--request-timeout'),
    ...(servedByHeader !== undefined ? { servedByHeader } : {}),
    tokenizer: args.tokenizer === 'approx' ? 'approx' : 'llama3',
    ...(runId !== undefined ? { runId } : {}),
    ...(shard ? { shard } : {}),
    out,
    maxErrorRate,
    logLevel: String(args['log-level'] ?? 'info'),
  };
}

/** ramp-load's own flags on top of the load flags; the warm-up state is read by the caller. */
export function parseRampArgs(
  args: Args,
  env: Record<string, string | undefined>,
): Omit<RampLoadOptions, 'warmupState'> {
  const load = parseLoadArgs(args, env);
  const workers = intFlag(args, 'workers', 1, MAX_WORKERS);
  const shards = load.shard?.of ?? 1;
  if (shards * workers > load.shape.sessions) {
    throw new UsageError(
      `--workers ${workers}${shards > 1 ? ` × ${shards} shards` : ''} is more than --sessions ${load.shape.sessions}: every worker needs a session`,
    );
  }
  const stageOut = optString(args, 'stage-out');
  const scrape = args['scrape-every'] !== undefined ? parseScrapeArgs(args, load.model) : undefined;
  return {
    ...load,
    stages: parseStages(String(args.stages)),
    ...(stageOut !== undefined ? { stageOut } : {}),
    workers,
    ...(scrape ? { scrape } : {}),
  };
}

function parseScrapeArgs(args: Args, model: string): ScrapeOptions {
  const everyMs = parseDurationMs(String(args['scrape-every']), '--scrape-every');
  if (everyMs < 1000)
    throw new UsageError(`--scrape-every ${String(args['scrape-every'])} is under 1s; scrape less often`);
  return { everyMs, snapshot: parseSnapshotArgs(args, model) };
}

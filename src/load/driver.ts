// Set-up shared by warm-up, ramp-load and worker threads: tokenizer, seed-derived content, the
// upper-bound tracker (seeded with what warm-up sent), the partition's session pool, the HTTP client.
import { templateDate } from '../tokenize/chat-template.ts';
import { ChatEncoder, loadTokenizer, type TokenizerKind } from '../tokenize/tokenizer.ts';
import type { Partition } from '../workload/plan.ts';
import {
  SessionPool,
  WorkloadContent,
  seedTracker,
  type SessionState,
  type WorkloadShape,
} from '../workload/sessions.ts';
import { PrefixTracker } from '../workload/upper-bound.ts';
import { ChatClient } from './client.ts';
import type { LoadOptions } from './options.ts';

export async function buildSessionPool(opts: {
  shape: WorkloadShape;
  tokenizer: TokenizerKind;
  part: Partition;
  /** Sessions warm-up left, and the date it rendered them with. */
  carried?: { sessions: readonly SessionState[]; dateString: string };
}): Promise<SessionPool> {
  const tokenizer = await loadTokenizer(opts.tokenizer);
  const encoder = new ChatEncoder(tokenizer);
  const content = new WorkloadContent(opts.shape, (t) => tokenizer.count(t));
  const tracker = new PrefixTracker();
  // Every session warm-up ran, not only this partition's: their shared prefix was sent too.
  if (opts.carried) seedTracker(tracker, encoder, opts.carried.sessions, opts.carried.dateString);
  return new SessionPool({
    shape: opts.shape,
    part: opts.part,
    content,
    encoder,
    tracker,
    ...(opts.carried ? { initial: opts.carried.sessions } : {}),
  });
}

export function newChatClient(opts: LoadOptions, connections: number): ChatClient {
  return new ChatClient({
    gatewayUrl: opts.gatewayUrl,
    ...(opts.hostHeader !== undefined ? { hostHeader: opts.hostHeader } : {}),
    ...(opts.apiKey !== undefined ? { apiKey: opts.apiKey } : {}),
    ...(opts.servedByHeader !== undefined ? { servedByHeader: opts.servedByHeader } : {}),
    model: opts.model,
    maxTokens: opts.maxTokens,
    stream: opts.stream,
    pinDate: opts.pinDate,
    requestTimeoutMs: opts.requestTimeoutMs,
    connections: Math.max(1, connections),
  });
}

/** The template date of each request: one fixed string when pinned, else today's (UTC) per request. */
export function dateSource(pinned: string | null, now: () => number): () => string {
  return pinned !== null ? () => pinned : () => templateDate(now());
}

/** `kvb-20261127T031500Z-42`: sortable, unique per start second and seed. */
export function generateRunId(epochMs: number, seed: number): string {
  const iso = new Date(epochMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `kvb-${iso}-${seed}`;
}

export function shardLabel(part: Partition | undefined): string | undefined {
  return part ? `${part.index}/${part.of}` : undefined;
}

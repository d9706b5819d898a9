// Restart the decode pods so caches and counters start from zero: delete them (their ReplicaSet
// replaces them with new names and uids) or roll their Deployment, then wait — with a watch, re-listing
// whenever the watch drops — until as many *new* pods are Ready as there were old ones. API calls that
// fail with a 5xx, a 429 or a dropped connection are retried with back-off until --timeout; a 401/403
// ends the restart at once with what to grant.
import type { PodControl, PodInfo } from './types.ts';
import { TargetError, UsageError } from '../errors.ts';
import { withRetry } from './retry.ts';

export type RestartMode = 'delete' | 'rollout';

export interface RestartOptions {
  selector: string;
  mode: RestartMode;
  timeoutMs: number;
  signal: AbortSignal;
  now: () => number;
  onProgress?: (line: string) => void;
}

export interface RestartOutcome {
  before: PodInfo[];
  after: PodInfo[];
}

function describePods(pods: Iterable<PodInfo>): string {
  const parts = [...pods].map((p) => {
    const notTrue = p.conditions
      .filter((c) => c.status !== 'True')
      .map((c) => `${c.type}=${c.status}${c.reason ? `(${c.reason})` : ''}`);
    return `${p.name} ${p.phase}${p.deleting ? ' terminating' : ''}${notTrue.length ? ` [${notTrue.join(', ')}]` : ''}`;
  });
  return parts.length ? parts.join('; ') : 'no pods';
}

export async function restartPods(kube: PodControl, opts: RestartOptions): Promise<RestartOutcome> {
  const startedAt = opts.now();
  const deadline = startedAt + opts.timeoutMs;
  const retry = <T>(attempt: () => Promise<T>): Promise<T> =>
    withRetry(attempt, {
      deadline,
      now: opts.now,
      signal: opts.signal,
      onRetry: (err, waitMs) => opts.onProgress?.(`restart-pods: ${err.message}; retrying in ${waitMs} ms`),
    });
  const before = await retry(() => kube.listPods(opts.selector));
  if (before.length === 0) {
    throw new UsageError(
      `no pods match ${opts.selector} in namespace ${kube.namespace} (check --selector / --namespace)`,
    );
  }
  const oldUids = new Set(before.map((p) => p.uid));

  if (opts.mode === 'delete') {
    await Promise.all(before.map((p) => retry(() => kube.deletePod(p.name))));
  } else {
    const owners = new Map<string, { kind: 'Deployment' | 'StatefulSet'; name: string }>();
    for (const p of before) {
      const owner = await retry(() => kube.ownerOf(p));
      if (!owner)
        throw new UsageError(`pod ${p.name} has no Deployment or StatefulSet owner; use --mode delete`);
      owners.set(`${owner.kind}/${owner.name}`, owner);
    }
    for (const o of owners.values())
      await retry(() => kube.rolloutRestart(o.kind, o.name, new Date(opts.now())));
  }
  opts.onProgress?.(
    `restart-pods: ${opts.mode} of ${before.length} pod(s) sent; waiting for ${before.length} new Ready pod(s)`,
  );

  let current = new Map<string, PodInfo>();
  const newReady = () => [...current.values()].filter((p) => !oldUids.has(p.uid) && p.ready && !p.deleting);
  const oldLeft = () => [...current.values()].filter((p) => oldUids.has(p.uid));

  while (true) {
    current = new Map((await retry(() => kube.listPods(opts.selector))).map((p) => [p.uid, p]));
    if (newReady().length >= before.length && oldLeft().length === 0) break;
    if (opts.now() >= deadline) break;
    // Watch until the condition holds, the deadline passes, or the watch drops (then re-list).
    const ac = new AbortController();
    const onOuterAbort = () => ac.abort();
    opts.signal.addEventListener('abort', onOuterAbort, { once: true });
    const timer = setTimeout(() => ac.abort(), Math.max(0, deadline - opts.now()));
    try {
      await kube.watchPods(
        opts.selector,
        (e) => {
          if (e.type === 'DELETED') current.delete(e.pod.uid);
          else current.set(e.pod.uid, e.pod);
          if (newReady().length >= before.length && oldLeft().length === 0) ac.abort();
        },
        ac.signal,
      );
      if (!ac.signal.aborted) opts.onProgress?.('restart-pods: the API server ended the watch; re-listing');
    } catch (err) {
      // Re-watching cannot help without the permission (or with a token the server rejects).
      if (err instanceof TargetError && (err.status === 401 || err.status === 403)) throw err;
      opts.onProgress?.(`restart-pods: watch dropped (${(err as Error).message}); re-listing`);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onOuterAbort);
    }
    if (opts.signal.aborted) throw new TargetError('restart-pods interrupted before the new pods were Ready');
  }

  const ready = newReady();
  if (ready.length < before.length || oldLeft().length > 0) {
    throw new TargetError(
      `timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${before.length} new Ready pod(s) ` +
        `matching ${opts.selector}: ${describePods(current.values())} (check kubectl describe pod / --timeout)`,
    );
  }
  return { before, after: ready.sort((a, b) => a.name.localeCompare(b.name)) };
}

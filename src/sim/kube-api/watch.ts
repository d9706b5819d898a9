// `?watch=true` streams: one JSON event per line (client-node splits on newlines: research §9.6), replaying
// history after the requested resourceVersion, or synthetic ADDED events for a watch from "now" (RV 0 or
// none), then live changes. Filtering follows the apiserver's cacher: an object that starts matching the
// selectors arrives as ADDED, one that stops matching as DELETED. A resourceVersion older than the kept
// history gets a 410 Expired ERROR event, which makes reflectors re-list (research §6.1).
import type { ServerResponse } from 'node:http';
import { expired } from './status.ts';
import type { KubeObject, ObjectStore, ResourceName, StoreEvent } from './store.ts';

export interface WatchRequest {
  store: ObjectStore;
  resource: ResourceName;
  /** does the object belong to this watch (namespace + label + field selectors) */
  matches: (obj: KubeObject) => boolean;
  /** the `resourceVersion` query parameter ('' when absent) */
  resourceVersion: string;
  /** the `timeoutSeconds` query parameter (0 = until the client or the server goes away) */
  timeoutSeconds: number;
  /** how an object goes on the wire (a plain object, or a one-row Table for kubectl get -w) */
  encode: (obj: KubeObject, first: boolean) => unknown;
  onClose: () => void;
}

export function serveWatch(res: ServerResponse, w: WatchRequest): void {
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  let first = true;
  let open = true;
  const send = (type: string, object: unknown): void => {
    if (!open) return;
    res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const sendObject = (type: string, obj: KubeObject): void => {
    send(type, w.encode(obj, first));
    first = false;
  };
  const deliver = (e: StoreEvent): void => {
    if (e.resource !== w.resource) return;
    const now = w.matches(e.object);
    const before = e.previous !== undefined && e.type === 'MODIFIED' ? w.matches(e.previous) : now;
    if (e.type === 'MODIFIED') {
      if (now && before) sendObject('MODIFIED', e.object);
      else if (now) sendObject('ADDED', e.object);
      else if (before) sendObject('DELETED', e.object);
    } else if (now) sendObject(e.type, e.object);
  };

  let unsubscribe = (): void => {};
  let timer: NodeJS.Timeout | undefined;
  const finish = (): void => {
    if (!open) return;
    open = false;
    unsubscribe();
    if (timer) clearTimeout(timer);
    res.end();
    w.onClose();
  };

  const rv = w.resourceVersion;
  if (rv === '' || rv === '0') {
    for (const obj of w.store.list(w.resource)) if (w.matches(obj)) sendObject('ADDED', obj);
  } else {
    const since = Number(rv);
    const events = Number.isInteger(since) && since >= 0 ? w.store.eventsSince(since) : 'expired';
    if (events === 'expired') {
      send('ERROR', expired(`too old resource version: ${rv} (${w.store.oldestResourceVersion})`).status);
      finish();
      return;
    }
    for (const e of events) deliver(e);
  }
  unsubscribe = w.store.subscribe({ onEvent: deliver, onDrop: finish });
  if (w.timeoutSeconds > 0) timer = setTimeout(finish, w.timeoutSeconds * 1000);
  res.on('close', finish);
}

// Hop-by-hop header handling and the undici dispatch handler that streams a pod's response straight
// into the client's response: each chunk is written the moment it arrives (SSE stays incremental, the
// gateway adds no TTFT), with backpressure both ways and a client disconnect aborting the upstream
// request (vLLM then counts the request as aborted, as behind Envoy).
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';

/** RFC 9110 §7.6.1 connection-specific headers, plus the ones the proxy sets itself. */
const REQUEST_SKIP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
  'content-length',
  // node:http has already answered `Expect: 100-continue`; undici refuses to send the header on.
  'expect',
]);
const RESPONSE_SKIP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'trailer',
  'upgrade',
]);

export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  extra: Record<string, string>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key in incoming) {
    const v = incoming[key];
    if (v !== undefined && !REQUEST_SKIP.has(key)) out[key] = v;
  }
  for (const key in extra) out[key] = extra[key] as string;
  return out;
}

export function clientResponseHeaders(
  upstream: IncomingHttpHeaders,
  extra: Record<string, string> | undefined,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const key in upstream) {
    const v = upstream[key];
    if (v !== undefined && !RESPONSE_SKIP.has(key)) out[key] = v;
  }
  if (extra) for (const key in extra) out[key] = extra[key];
  return out;
}

export interface ForwardHooks {
  /** headers to add to the client's response */
  responseHeaders: Record<string, string> | undefined;
  /** the pod could not be reached or failed before sending headers */
  onUpstreamError(err: Error): void;
}

/** A DispatchHandler writing one upstream response into `res`. */
export function pipeToResponse(res: ServerResponse, hooks: ForwardHooks): Dispatcher.DispatchHandler {
  let controller: Dispatcher.DispatchController | undefined;
  let waitingForDrain = false;
  const onDrain = (): void => {
    waitingForDrain = false;
    controller?.resume();
  };
  const onClose = (): void => {
    if (!res.writableFinished) controller?.abort(new Error('client closed the connection'));
  };
  res.once('close', onClose);

  return {
    onRequestStart(c) {
      controller = c;
      if (res.destroyed) c.abort(new Error('client closed the connection'));
    },
    onResponseStart(_c, statusCode, headers) {
      res.writeHead(statusCode, clientResponseHeaders(headers, hooks.responseHeaders));
      // Server-sent events: let the client see the status line now, before the first token.
      const type = headers['content-type'];
      if (typeof type === 'string' && type.startsWith('text/event-stream')) res.flushHeaders();
    },
    onResponseData(c, chunk) {
      if (!res.write(chunk) && !waitingForDrain) {
        waitingForDrain = true;
        c.pause();
        res.once('drain', onDrain);
      }
    },
    onResponseEnd() {
      res.removeListener('close', onClose);
      res.end();
    },
    onResponseError(_c, err) {
      res.removeListener('close', onClose);
      if (res.destroyed) return; // the client left first: its abort is what ended the upstream request
      if (!res.headersSent) hooks.onUpstreamError(err);
      else res.destroy(err);
    },
  };
}

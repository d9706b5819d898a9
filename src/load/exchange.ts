// One HTTP exchange over undici's dispatch API (Dispatcher.md "dispatcher.dispatch"): the response
// arrives through callbacks, with none of what `request()` adds per request — a Readable for the body,
// an AsyncResource, an abort listener, and the extra ticks of async iteration before each chunk reaches
// the caller. At thousands of requests/s that is a good part of the generator's CPU, and for streaming
// the ticks sit between a chunk's arrival and the TTFT stamp.
import type { Dispatcher } from 'undici';

export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface ExchangeRequest {
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body: string | null;
}

export interface ExchangeSink {
  /** The final (≥ 200) status line and headers arrived. */
  onStart(status: number, headers: ResponseHeaders, statusText: string): void;
  onData(chunk: Buffer): void;
}

export interface Exchange {
  /** Resolves with the trailers at the end of the response; rejects with the failure or the abort reason. */
  done: Promise<ResponseHeaders>;
  /** Ends the exchange now (stop signal, timeout); `done` rejects with `reason`. Idempotent. */
  abort(reason: Error): void;
}

export function startExchange(dispatcher: Dispatcher, req: ExchangeRequest, sink: ExchangeSink): Exchange {
  let controller: Dispatcher.DispatchController | undefined;
  let abortReason: Error | undefined;
  let resolve!: (trailers: ResponseHeaders) => void;
  let reject!: (err: Error) => void;
  const done = new Promise<ResponseHeaders>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A sink that throws must not throw into undici's parser: it ends this exchange instead.
  const guarded = (c: Dispatcher.DispatchController, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      c.abort(err as Error);
    }
  };
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
      if (abortReason) c.abort(abortReason);
    },
    onResponseStart(c, status, headers, statusText) {
      // 1xx informational responses come before the final one.
      if (status >= 200) guarded(c, () => sink.onStart(status, headers as ResponseHeaders, statusText ?? ''));
    },
    onResponseData(c, chunk) {
      guarded(c, () => sink.onData(chunk));
    },
    onResponseEnd(_c, trailers) {
      resolve(trailers as ResponseHeaders);
    },
    onResponseError(_c, err) {
      reject(err);
    },
  };
  dispatcher.dispatch({ path: req.path, method: req.method, headers: req.headers, body: req.body }, handler);
  return {
    done,
    abort(reason) {
      if (abortReason) return;
      abortReason = reason;
      // Still queued for a connection: settle now; undici aborts it when (if) it starts.
      if (controller) controller.abort(reason);
      else reject(reason);
    },
  };
}

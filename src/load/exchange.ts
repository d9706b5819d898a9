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

/**
 * undici's handler for one exchange: one object with its methods on the prototype, rather than a
 * closure per callback per request (thousands of requests/s).
 */
class ExchangeHandler implements Dispatcher.DispatchHandler, Exchange {
  readonly done: Promise<ResponseHeaders>;
  private readonly sink: ExchangeSink;
  private controller: Dispatcher.DispatchController | undefined;
  private abortReason: Error | undefined;
  private resolve!: (trailers: ResponseHeaders) => void;
  private reject!: (err: Error) => void;

  constructor(sink: ExchangeSink) {
    this.sink = sink;
    this.done = new Promise<ResponseHeaders>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  onRequestStart(c: Dispatcher.DispatchController): void {
    this.controller = c;
    if (this.abortReason) c.abort(this.abortReason);
  }

  onResponseStart(
    c: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
    statusText?: string,
  ): void {
    // 1xx informational responses come before the final one.
    if (status < 200) return;
    try {
      this.sink.onStart(status, headers as ResponseHeaders, statusText ?? '');
    } catch (err) {
      // A sink that throws must not throw into undici's parser: it ends this exchange instead.
      c.abort(err as Error);
    }
  }

  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    try {
      this.sink.onData(chunk);
    } catch (err) {
      c.abort(err as Error);
    }
  }

  onResponseEnd(
    _c: Dispatcher.DispatchController,
    trailers: Record<string, string | string[] | undefined>,
  ): void {
    this.resolve(trailers as ResponseHeaders);
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.reject(err);
  }

  abort(reason: Error): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    // Still queued for a connection: settle now; undici aborts it when (if) it starts.
    if (this.controller) this.controller.abort(reason);
    else this.reject(reason);
  }
}

export function startExchange(dispatcher: Dispatcher, req: ExchangeRequest, sink: ExchangeSink): Exchange {
  const handler = new ExchangeHandler(sink);
  dispatcher.dispatch({ path: req.path, method: req.method, headers: req.headers, body: req.body }, handler);
  return handler;
}

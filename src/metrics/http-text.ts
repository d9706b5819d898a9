// GET a text page (a pod's /metrics, a Prometheus query) with undici and a deadline. Imported lazily by
// take-snapshot.ts, so the CLI starts without undici.
import { rootCertificates } from 'node:tls';
import { request, Agent } from 'undici';
import { TargetError } from '../errors.ts';

export interface GetTextOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  /** PEM CA bundle to trust in addition to the system roots (e.g. OpenShift's service CA). */
  ca?: string;
}

// Metrics pages of a busy vLLM pod are a few hundred KB; anything far larger is not a metrics page.
const MAX_BODY_BYTES = 64 * 1024 * 1024;

const agents = new Map<string, Agent>();
function agentFor(ca: string | undefined): Agent | undefined {
  if (!ca) return undefined;
  let agent = agents.get(ca);
  if (!agent) {
    // A custom `ca` replaces the default roots, so they are added back.
    agent = new Agent({ connect: { ca: [...rootCertificates, ca] } });
    agents.set(ca, agent);
  }
  return agent;
}

export async function getText(url: string, opts: GetTextOptions): Promise<string> {
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]);
  try {
    const dispatcher = agentFor(opts.ca);
    const res = await request(url, {
      method: 'GET',
      headers: { accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1', ...opts.headers },
      signal,
      ...(dispatcher ? { dispatcher } : {}),
    });
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        res.body.destroy();
        throw new TargetError(`${url} answered more than ${MAX_BODY_BYTES} bytes`);
      }
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (res.statusCode !== 200) {
      throw new TargetError(`HTTP ${res.statusCode} from ${url}: ${text.slice(0, 200).split('\n')[0] ?? ''}`);
    }
    return text;
  } catch (err) {
    if (err instanceof TargetError) throw err;
    if (signal.aborted && !opts.signal.aborted)
      throw new TargetError(`no answer from ${url} within ${opts.timeoutMs} ms`);
    const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
    const code = e.code ?? e.cause?.code;
    throw new TargetError(
      `cannot GET ${url}: ${code ? `${code} ` : ''}${e.cause?.message ?? e.message}`.trim(),
    );
  }
}

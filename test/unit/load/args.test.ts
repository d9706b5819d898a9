import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../../src/errors.ts';
import { parseLoadArgs, parseRampArgs } from '../../../src/load/args.ts';

// What yargs hands over with the defaults of src/commands/flags.ts and ramp-load's own flags.
const DEFAULTS: Record<string, unknown> = {
  'gateway-url': 'http://gw.example:8080',
  model: 'meta-llama/Llama-3.2-3B-Instruct',
  sessions: 24,
  turns: 10,
  'system-prompt-tokens': 50,
  'user-tokens': 40,
  'max-tokens': 200,
  seed: 42,
  'pin-date': true,
  stream: true,
  'request-timeout': '120s',
  tokenizer: 'llama3',
  out: 'records.jsonl',
  stages: '8x72,16x144',
  'max-error-rate': 0.05,
  workers: 1,
};

const ramp = (over: Record<string, unknown>) => parseRampArgs({ ...DEFAULTS, ...over }, {});

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('load flags', () => {
  it('turns the defaults into options', () => {
    const opts = ramp({});
    expect(opts).toMatchObject({
      gatewayUrl: 'http://gw.example:8080',
      shape: { seed: 42, sessions: 24, turns: 10, systemPromptTokens: 50, userTokens: 40 },
      maxTokens: 200,
      pinDate: true,
      stream: true,
      requestTimeoutMs: 120_000,
      workers: 1,
      maxErrorRate: 0.05,
    });
    expect(opts.stages.map((s) => s.spec)).toEqual(['8x72', '16x144']);
    expect(opts.apiKey).toBeUndefined();
  });

  it.each([
    [{ 'gateway-url': 'gw.example' }, '--gateway-url "gw.example" is not a URL'],
    [{ 'gateway-url': 'ftp://gw' }, 'must be http:// or https://'],
    [{ 'gateway-url': 'http://gw/v1' }, 'without /v1'],
    [{ sessions: 0 }, '--sessions 0 is out of range'],
    [{ sessions: 1e9 }, '--sessions 1000000000 is out of range'],
    [{ sessions: Number.NaN }, '--sessions NaN is not a whole number'],
    [{ turns: 2.5 }, '--turns 2.5 is not a whole number'],
    [{ 'user-tokens': 0 }, '--user-tokens 0 is out of range'],
    [{ 'max-tokens': 100000 }, '--max-tokens 100000 is out of range'],
    [{ stages: '8x' }, '--stages: cannot read "8x"'],
    [{ stages: '8x0s' }, 'zero duration'],
    [{ 'request-timeout': 'soon' }, '--request-timeout "soon" is not a duration'],
    [{ 'request-timeout': '0s' }, '--request-timeout must be greater than zero'],
    [{ 'max-error-rate': 1.5 }, '--max-error-rate 1.5 must be a fraction'],
    [{ shard: '4/4' }, '--shard 4/4 is not i/K'],
    [{ shard: 'a/b' }, '--shard a/b is not i/K'],
    [{ shard: '0/0' }, '--shard 0/0 is not i/K'],
    [{ shard: '0/30' }, 'into more shards than sessions'],
    [{ workers: 0 }, '--workers 0 is out of range'],
    [{ workers: 30 }, '--workers 30 is more than --sessions 24'],
    [{ shard: '0/4', workers: 8 }, '--workers 8 × 4 shards is more than --sessions 24'],
    [{ 'run-id': 'a b' }, '--run-id a b may hold only'],
    [{ out: '' }, '--out is empty'],
    [{ out: undefined }, '--out FILE is required'],
    [{ 'api-key-file': '/nonexistent/key' }, '--api-key-file /nonexistent/key cannot be read: ENOENT'],
    [{ 'served-by-header': 'x served' }, 'is not a header name'],
    [{ 'scrape-every': '100ms' }, 'under 1s'],
    [{ 'scrape-every': '15s', via: 'urls' }, '--via urls needs --urls'],
  ])('rejects %j: %s', (over, message) => {
    expect(usageError(() => ramp(over))).toContain(message);
  });

  it('reads the API key from --api-key-file, else from KV_CACHE_BENCH_API_KEY', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvb-args-'));
    const file = join(dir, 'key');
    writeFileSync(file, 'sk-from-file\n');
    expect(
      parseLoadArgs({ ...DEFAULTS, 'api-key-file': file }, { KV_CACHE_BENCH_API_KEY: 'sk-env' }).apiKey,
    ).toBe('sk-from-file');
    expect(parseLoadArgs(DEFAULTS, { KV_CACHE_BENCH_API_KEY: 'sk-env' }).apiKey).toBe('sk-env');
    writeFileSync(file, '  \n');
    expect(usageError(() => parseLoadArgs({ ...DEFAULTS, 'api-key-file': file }, {}))).toContain('is empty');
  });

  it('reads --no-pin-date, --no-stream, --shard and the scrape flags', () => {
    const opts = ramp({
      'pin-date': false,
      stream: false,
      shard: '1/3',
      'scrape-every': '15s',
      via: 'urls',
      urls: 'http://a/metrics, http://b/metrics',
    });
    expect(opts).toMatchObject({ pinDate: false, stream: false, shard: { index: 1, of: 3 } });
    expect(opts.scrape).toEqual({
      everyMs: 15_000,
      snapshot: {
        via: 'urls',
        namespace: 'llm-d',
        selector: 'llm-d.ai/role=decode',
        urls: ['http://a/metrics', 'http://b/metrics'],
        model: 'meta-llama/Llama-3.2-3B-Instruct',
      },
    });
  });
});

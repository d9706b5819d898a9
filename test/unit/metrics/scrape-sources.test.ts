import { metricsPortOf } from '../../../src/metrics/metrics-port.ts';
import { buildCounterQuery, decodeCounterAnswer, queryUrl } from '../../../src/metrics/prometheus.ts';
import { podNameOfUrl } from '../../../src/metrics/take-snapshot.ts';

describe('metricsPortOf', () => {
  const port = (containerPort: number, name?: string) => ({
    container: 'c',
    containerPort,
    ...(name ? { name } : {}),
  });
  it.each([
    ['--metrics-port wins', [port(8000, 'metrics')], 9090, 9090],
    ['a port named metrics', [port(8000), port(9400, 'metrics')], undefined, 9400],
    ['a port named vllm', [port(8000, 'proxy'), port(8200, 'vllm')], undefined, 8200],
    ['llm-d vLLM on 8001 over the sidecar on 8000', [port(8000), port(8001)], undefined, 8001],
    ['llm-d vLLM on 8200 over the sidecar on 8000', [port(8000), port(8200)], undefined, 8200],
    ['plain vLLM on 8000', [port(8000), port(5557)], undefined, 8000],
    ['else the first port', [port(7000), port(7001)], undefined, 7000],
    ['none declared', [], undefined, undefined],
  ])('%s', (_what, ports, explicit, expected) => {
    expect(metricsPortOf(ports, explicit)).toBe(expected);
  });
});

describe('podNameOfUrl', () => {
  it.each([
    ['http://127.0.0.1:8001/metrics', '127.0.0.1:8001'],
    ['http://vllm-a.llm-d.svc/metrics', 'vllm-a.llm-d.svc'],
    ['http://[::1]:9000/metrics', '[::1]:9000'],
  ])('names %s %s', (url, name) => {
    expect(podNameOfUrl(url)).toBe(name);
  });

  it.each([['not a url'], ['ftp://host/metrics']])('rejects %j', (url) => {
    expect(() => podNameOfUrl(url)).toThrow(/--urls/);
  });
});

describe('Prometheus counter query', () => {
  it('asks for every counter summed per series name, pod and model in the namespace', () => {
    const q = buildCounterQuery('llm-d');
    expect(q).toMatch(/^sum by \(__name__, pod, model_name\) \(\{__name__=~"/);
    expect(q).toContain('vllm:prefix_cache_queries_total|');
    expect(q).toContain('vllm:gpu_prefix_cache_hits_total');
    expect(q).toContain('namespace="llm-d"');
  });

  it('escapes quotes in the namespace', () => {
    expect(buildCounterQuery('a"b')).toContain('namespace="a\\"b"');
  });

  it('URL-encodes the query onto /api/v1/query', () => {
    expect(queryUrl('https://thanos:9091/', 'up{a="1"}')).toBe(
      'https://thanos:9091/api/v1/query?query=up%7Ba%3D%221%22%7D',
    );
  });

  it('decodes a vector answer into samples per pod', () => {
    const body = JSON.stringify({
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          {
            metric: { __name__: 'vllm:prefix_cache_queries_total', pod: 'p1', model_name: 'm' },
            value: [1700000000, '1234567'],
          },
          {
            metric: { __name__: 'vllm:prefix_cache_hits_total', pod: 'p1', model_name: 'm' },
            value: [1700000000, '1000'],
          },
          { metric: { __name__: 'vllm:prefix_cache_hits_total', pod: 'p2' }, value: [1700000000, 'NaN'] },
          { metric: { __name__: 'vllm:prefix_cache_hits_total' }, value: [1700000000, '5'] },
        ],
      },
    });
    const byPod = decodeCounterAnswer(body);
    expect(byPod.get('p1')).toEqual([
      { name: 'vllm:prefix_cache_queries_total', labels: { model_name: 'm' }, value: 1234567 },
      { name: 'vllm:prefix_cache_hits_total', labels: { model_name: 'm' }, value: 1000 },
    ]);
    expect(byPod.get('p2')?.[0]?.value).toBeNaN();
    expect(byPod.size).toBe(2);
  });

  it.each([
    [
      'an error answer',
      JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' }),
      /bad_data: parse error/,
    ],
    [
      'a matrix',
      JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }),
      /matrix result/,
    ],
    ['HTML', '<html>login</html>', /not JSON/],
  ])('fails on %s with the reason', (_what, body, message) => {
    expect(() => decodeCounterAnswer(body)).toThrow(message);
  });
});

import {
  floatToGoString,
  pythonFloatRepr,
  renderPythonExposition,
  type ExpositionFamily,
} from '../../../../src/sim/vllm/exposition.ts';
import { build125Buckets } from '../../../../src/sim/vllm/metrics.ts';

describe('Python float formatting', () => {
  it.each([
    [0, '0.0'],
    [32, '32.0'],
    [1.5, '1.5'],
    [0.001, '0.001'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [9.75010481363281e-6, '9.75010481363281e-06'],
    [123456, '123456.0'],
    [1e16, '1e+16'],
    [-2.5, '-2.5'],
  ])('repr(%p) is %p', (x, s) => {
    expect(pythonFloatRepr(x)).toBe(s);
  });

  it.each([
    [32, '32.0'],
    [999999, '999999.0'],
    [1234567, '1.234567e+06'],
    [1000000, '1e+06'],
    [1753795326.9352946, '1.7537953269352946e+09'],
    [Infinity, '+Inf'],
  ])('floatToGoString(%p) is %p', (x, s) => {
    expect(floatToGoString(x)).toBe(s);
  });
});

describe('prometheus_client exposition', () => {
  const labels = { engine: '0', model_name: 'm' };
  it('prints a counter as _total with a _created gauge family after it, labels sorted', () => {
    const families: ExpositionFamily[] = [
      {
        name: 'vllm:request_success_total',
        help: 'Count of successfully processed requests.',
        type: 'counter',
        values: [
          { labels: { model_name: 'm', engine: '0', finished_reason: 'stop' }, value: 3 },
          { labels: { model_name: 'm', engine: '0', finished_reason: 'length' }, value: 0 },
        ],
      },
    ];
    expect(renderPythonExposition(families, 1700000000.5)).toBe(
      [
        '# HELP vllm:request_success_total Count of successfully processed requests.',
        '# TYPE vllm:request_success_total counter',
        'vllm:request_success_total{engine="0",finished_reason="stop",model_name="m"} 3.0',
        'vllm:request_success_total{engine="0",finished_reason="length",model_name="m"} 0.0',
        '# HELP vllm:request_success_created Count of successfully processed requests.',
        '# TYPE vllm:request_success_created gauge',
        'vllm:request_success_created{engine="0",finished_reason="stop",model_name="m"} 1.7000000005e+09',
        'vllm:request_success_created{engine="0",finished_reason="length",model_name="m"} 1.7000000005e+09',
        '',
      ].join('\n'),
    );
  });

  it('prints histogram buckets, then _count, then _sum, then the _created family', () => {
    const name = 'vllm:e2e_request_latency_seconds';
    const families: ExpositionFamily[] = [
      {
        name,
        help: 'Histogram of e2e request latency in seconds.',
        type: 'histogram',
        values: [
          { labels: { ...labels, le: 0.3 }, value: 1, metricName: `${name}_bucket` },
          { labels: { ...labels, le: 1 }, value: 2, metricName: `${name}_bucket` },
          { labels: { ...labels, le: '+Inf' }, value: 2, metricName: `${name}_bucket` },
          { labels, value: 0.75, metricName: `${name}_sum` },
          { labels, value: 2, metricName: `${name}_count` },
        ],
      },
    ];
    const lines = renderPythonExposition(families, 1).trim().split('\n');
    expect(lines).toEqual([
      `# HELP ${name} Histogram of e2e request latency in seconds.`,
      `# TYPE ${name} histogram`,
      `${name}_bucket{engine="0",le="0.3",model_name="m"} 1.0`,
      `${name}_bucket{engine="0",le="1.0",model_name="m"} 2.0`,
      `${name}_bucket{engine="0",le="+Inf",model_name="m"} 2.0`,
      `${name}_count{engine="0",model_name="m"} 2.0`,
      `${name}_sum{engine="0",model_name="m"} 0.75`,
      `# HELP ${name}_created Histogram of e2e request latency in seconds.`,
      `# TYPE ${name}_created gauge`,
      `${name}_created{engine="0",model_name="m"} 1.0`,
    ]);
  });

  it('prints gauges without _created and escapes label values', () => {
    const families: ExpositionFamily[] = [
      {
        name: 'vllm:kv_cache_usage_perc',
        help: 'KV-cache usage. 1 means 100 percent usage.',
        type: 'gauge',
        values: [{ labels: { engine: '0', model_name: 'a"b' }, value: 0.25 }],
      },
    ];
    expect(renderPythonExposition(families, 1)).toBe(
      '# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.\n' +
        '# TYPE vllm:kv_cache_usage_perc gauge\n' +
        'vllm:kv_cache_usage_perc{engine="0",model_name="a\\"b"} 0.25\n',
    );
  });
});

it.each([
  [100, [1, 2, 5, 10, 20, 50, 100]],
  [4096, [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]],
])('build_1_2_5_buckets(%i)', (max, buckets) => {
  expect(build125Buckets(max)).toEqual(buckets);
});

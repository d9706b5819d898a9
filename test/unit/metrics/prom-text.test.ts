import { ExpositionError, parseExposition, parseFloatToken } from '../../../src/metrics/prom-text.ts';

describe('parseExposition', () => {
  it.each([
    ['a Python float', 'vllm:prefix_cache_queries_total{engine="0",model_name="m"} 32.0', 32],
    [
      'a Python exponent float (values of 1e6 and above)',
      'vllm:prefix_cache_queries_total{engine="0",model_name="m"} 1.234567e+06',
      1234567,
    ],
    ['a Go / prom-client integer', 'vllm:prefix_cache_queries_total{model_name="m",engine="0"} 123', 123],
    [
      'a negative exponent',
      'vllm:kv_cache_usage_perc{engine="0",model_name="m"} 9.75010481363281e-06',
      9.75010481363281e-6,
    ],
    ['+Inf', 'x{le="+Inf"} +Inf', Infinity],
    ['-Inf', 'x -Inf', -Infinity],
    ['a metric without labels', 'process_open_fds 17', 17],
    ['an empty label set', 'x{} 4', 4],
    ['a trailing comma in the labels', 'x{a="1",} 5', 5],
    ['tabs and spaces around the value', 'x{a="1"}\t  6', 6],
  ])('reads %s', (_what, line, value) => {
    const [sample] = parseExposition(`${line}\n`).samples;
    expect(sample?.value).toBe(value);
  });

  it('reads NaN', () => {
    expect(parseExposition('x NaN').samples[0]?.value).toBeNaN();
  });

  it.each([
    ['an escaped quote', 'x{path="say \\"hi\\""} 1', 'say "hi"'],
    ['an escaped backslash', 'x{path="C:\\\\dir"} 1', 'C:\\dir'],
    ['an escaped newline', 'x{path="a\\nb"} 1', 'a\nb'],
    ['a comma and a brace inside the value', 'x{path="a,b}c"} 1', 'a,b}c'],
  ])('unescapes %s in a label value', (_what, line, expected) => {
    expect(parseExposition(line).samples[0]?.labels.path).toBe(expected);
  });

  it('reads labels in any order, as prom-client puts le first', () => {
    const s = parseExposition(
      'vllm:time_to_first_token_seconds_bucket{le="0.001",engine="0",model_name="m"} 0',
    ).samples[0];
    expect(s?.labels).toEqual({ le: '0.001', engine: '0', model_name: 'm' });
  });

  it.each([
    ['a text-format timestamp in ms', 'x 1 1700000000000', 1700000000000],
    ['an OpenMetrics timestamp in seconds', 'x 1 1700000000.123', 1700000000.123],
  ])('keeps %s', (_what, line, ts) => {
    expect(parseExposition(line).samples[0]?.timestamp).toBe(ts);
  });

  it('records HELP (unescaped) and TYPE per family and skips other comments and blank lines', () => {
    const exp = parseExposition(
      [
        '# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.',
        '# TYPE vllm:prefix_cache_queries_total counter',
        '# a plain comment',
        '',
        '   ',
        '# HELP x line one\\nline two \\\\ end',
        '# TYPE x gauge',
        'x 1',
      ].join('\n'),
    );
    expect(exp.types.get('vllm:prefix_cache_queries_total')).toBe('counter');
    expect(exp.types.get('x')).toBe('gauge');
    expect(exp.help.get('x')).toBe('line one\nline two \\ end');
    expect(exp.samples).toHaveLength(1);
  });

  it('stops at the OpenMetrics # EOF and ignores exemplars', () => {
    const exp = parseExposition(
      '# TYPE a counter\na_total{x="1"} 3 # {trace_id="abc"} 1.0 1700000000\n# EOF\ngarbage here\n',
    );
    expect(exp.samples.map((s) => [s.name, s.value])).toEqual([['a_total', 3]]);
  });

  it('accepts CRLF line ends and a missing final newline', () => {
    expect(parseExposition('a 1\r\nb 2').samples.map((s) => s.value)).toEqual([1, 2]);
  });

  it('finds closing quotes after an escaped one further down the page', () => {
    const exp = parseExposition('a{x="plain"} 1\nb{x="q\\"q"} 2\nc{x="after"} 3');
    expect(exp.samples.map((s) => s.labels.x)).toEqual(['plain', 'q"q', 'after']);
  });

  it('keeps a label named __proto__ as a plain label', () => {
    const s = parseExposition('x{__proto__="p"} 1').samples[0];
    expect(Object.keys(s?.labels ?? {})).toEqual(['__proto__']);
    expect(s?.labels.__proto__).toBe('p');
  });

  it('reads a Prometheus 3 quoted metric name inside the braces', () => {
    const s = parseExposition('{"my.metric", a="1"} 7').samples[0];
    expect(s?.name).toBe('my.metric');
    expect(s?.labels).toEqual({ a: '1' });
  });

  it.each([
    ['an HTML page', '<html><body>Not found</body></html>'],
    ['a value that is not a number', 'x{a="1"} twelve'],
    ['a missing value', 'x{a="1"}'],
    ['an unterminated label value', 'x{a="1} 2'],
    ['a label without =', 'x{a} 2'],
    ['text after the timestamp', 'x 1 2 3'],
    ['a hex value', 'x 0x10'],
  ])('rejects %s with the line number', (_what, text) => {
    expect(() => parseExposition(`ok 1\n${text}\n`)).toThrow(ExpositionError);
    expect(() => parseExposition(`ok 1\n${text}\n`)).toThrow(/^metrics line 2: /);
  });

  // A quadratic scan (or regex backtracking) would take minutes here; linear takes ~0.2 s on these machines.
  it('parses 100k series in linear time', () => {
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++)
      lines.push(
        `vllm:time_to_first_token_seconds_bucket{engine="${i % 8}",le="${i}",model_name="meta-llama/Llama-3.2-3B-Instruct"} ${i}.0`,
      );
    const text = lines.join('\n');
    const t0 = performance.now();
    const exp = parseExposition(text);
    const elapsed = performance.now() - t0;
    expect(exp.samples).toHaveLength(100_000);
    expect(exp.samples[99_999]?.value).toBe(99_999);
    expect(elapsed).toBeLessThan(3000);
  });
});

describe('parseFloatToken', () => {
  it.each([
    ['32.0', 32],
    ['1.7537953269352946e+09', 1753795326.9352946],
    ['-0.5', -0.5],
    ['.5', 0.5],
    ['Inf', Infinity],
    ['+inf', Infinity],
  ])('reads %s', (token, value) => {
    expect(parseFloatToken(token)).toBe(value);
  });

  it.each([[''], ['abc'], ['Infinity'], ['0x1f'], ['1,5'], ['constructor'], ['__proto__']])(
    'refuses %j',
    (token) => {
      expect(parseFloatToken(token)).toBeUndefined();
    },
  );
});

import { buildGraph, resultRefs } from '../../../src/tekton/dag.ts';
import { goDurationMs } from '../../../src/tekton/go-duration.ts';
import { mapPaths } from '../../../src/tekton/local-paths.ts';
import { aggregateResults, fanOut } from '../../../src/tekton/matrix.ts';
import { childName, generateName } from '../../../src/tekton/names.ts';
import { resolveParams, toParamValue } from '../../../src/tekton/params.ts';
import { aggregateStatus, pipelineResults } from '../../../src/tekton/pipeline-state.ts';
import { planTaskRun } from '../../../src/tekton/plan.ts';
import {
  addValues,
  applyList,
  applyString,
  applyValue,
  emptyReplacements,
} from '../../../src/tekton/substitute.ts';
import { messageBytes, terminationMessage } from '../../../src/tekton/termination.ts';
import type { PipelineTask, TaskSpec } from '../../../src/tekton/types.ts';
import { evaluateWhen } from '../../../src/tekton/when.ts';

const r = addValues(emptyReplacements(), 'params', {
  s: 'hello',
  'dotted.name': 'dot',
  arr: ['a', 'b'],
  obj: { url: 'http://x', host: 'h' },
});

describe('variable substitution', () => {
  it.each([
    ['$(params.s)', 'hello'],
    ['--greeting=$(params.s)!', '--greeting=hello!'],
    ["$(params['s'])", 'hello'],
    ['$(params["s"])', 'hello'],
    ["$(params['dotted.name'])", 'dot'],
    ['$(params.arr[1])', 'b'],
    ['$(params.obj.url)', 'http://x'],
    ['$(params.unknown) stays', '$(params.unknown) stays'],
    ['$(params.s)$(params.s)', 'hellohello'],
  ])('replaces %s with %s', (input, expected) => {
    expect(applyString(input, r)).toBe(expected);
  });

  it('expands a whole array only where a list element is exactly $(params.x[*])', () => {
    expect(applyList(['x', '$(params.arr[*])', 'y'], r)).toEqual(['x', 'a', 'b', 'y']);
    expect(applyList(['pre-$(params.arr[*])'], r)).toEqual(['pre-$(params.arr[*])']);
  });

  it('keeps the type of a whole array or object passed on to a task', () => {
    expect(applyValue('$(params.arr[*])', r)).toEqual(['a', 'b']);
    expect(applyValue('$(params.obj[*])', r)).toEqual({ url: 'http://x', host: 'h' });
    expect(applyValue(['$(params.s)', '$(params.arr[*])'], r)).toEqual(['hello', 'a', 'b']);
  });
});

describe('params', () => {
  it.each([
    [42, '42'],
    [true, 'true'],
    ['x', 'x'],
    [
      [1, 'b'],
      ['1', 'b'],
    ],
    [{ k: 2 }, { k: '2' }],
  ])('reads the YAML value %p as Tekton does: %p', (raw, expected) => {
    expect(toParamValue(raw)).toEqual(expected);
  });

  it('fills defaults, infers types from them and completes object keys', () => {
    const out = resolveParams(
      [
        { name: 'a', default: 'x' },
        { name: 'list', default: ['1'] },
        { name: 'cfg', properties: { url: {}, host: {} }, default: { url: 'u', host: 'h' } },
      ],
      { cfg: { url: 'other' } },
    );
    expect(out).toEqual({ ok: true, values: { a: 'x', list: ['1'], cfg: { url: 'other', host: 'h' } } });
  });

  it.each([
    [{}, { kind: 'missing', names: ['need'] }],
    [{ need: ['x'] }, { kind: 'type', name: 'need', expected: 'string', got: 'array' }],
  ])('rejects %p', (given, problem) => {
    expect(resolveParams([{ name: 'need', type: 'string' }], given)).toEqual({ ok: false, problem });
  });
});

describe('task graph', () => {
  const t = (name: string, extra: Partial<PipelineTask> = {}): PipelineTask => ({
    name,
    taskRef: { name: 'x' },
    ...extra,
  });

  it('orders by runAfter and by result references in params and when', () => {
    const tasks = [
      t('a'),
      t('b', { params: [{ name: 'p', value: '$(tasks.a.results.out)' }] }),
      t('c', { runAfter: ['a'], when: [{ input: '$(tasks.b.results.v)', operator: 'in', values: ['1'] }] }),
    ];
    const g = buildGraph(tasks);
    expect(g.ok && [...g.graph.entries()].map(([k, v]) => [k, [...v].sort()])).toEqual([
      ['a', []],
      ['b', ['a']],
      ['c', ['a', 'b']],
    ]);
    expect(resultRefs(tasks[1] as PipelineTask)).toEqual([
      { task: 'a', result: 'out', key: 'tasks.a.results.out' },
    ]);
  });

  it.each([
    [[t('a', { runAfter: ['nope'] })], 'task a runs after nope, which is not a task of this pipeline'],
    [
      [t('a', { runAfter: ['b'] }), t('b', { runAfter: ['a'] })],
      "cycle in the pipeline's tasks: a -> b -> a",
    ],
  ])('rejects a broken graph', (tasks, message) => {
    expect(buildGraph(tasks)).toEqual({ ok: false, message });
  });
});

describe('when expressions', () => {
  it.each([
    ['in', ['hello', 'x'], true],
    ['in', ['x'], false],
    ['notin', ['x'], true],
    ['notin', ['$(params.s)'], false],
  ] as const)('"hello" %s %p is %p', (operator, values, allowed) => {
    expect(evaluateWhen([{ input: '$(params.s)', operator, values: [...values] }], r).allowed).toBe(allowed);
  });

  it('requires every expression to hold, with array params expanded in values', () => {
    expect(
      evaluateWhen(
        [
          { input: 'a', operator: 'in', values: ['$(params.arr[*])'] },
          { input: 'z', operator: 'in', values: ['z'] },
        ],
        r,
      ).allowed,
    ).toBe(true);
    expect(
      evaluateWhen(
        [
          { input: 'a', operator: 'in', values: ['a'] },
          { input: 'z', operator: 'in', values: ['y'] },
        ],
        r,
      ).allowed,
    ).toBe(false);
  });
});

describe('local paths', () => {
  const mounts = [
    { containerPath: '/workspace', hostPath: '/tmp/ws-root' },
    { containerPath: '/workspace/data', hostPath: '/tmp/data' },
    { containerPath: '/tekton/results', hostPath: '/tmp/r' },
  ];
  it.each([
    ['/workspace/data/x.json', '/tmp/data/x.json'],
    ['--out=/workspace/data', '--out=/tmp/data'],
    ['--results-dir=/tekton/results', '--results-dir=/tmp/r'],
    ['a.json,/workspace/data/b.json', 'a.json,/tmp/data/b.json'],
    ['/workspace/other', '/tmp/ws-root/other'],
    ['/workspacex/y', '/workspacex/y'],
    ['http://host/workspace/data', 'http://host/workspace/data'],
  ])('maps %s to %s', (input, expected) => {
    expect(mapPaths(input, mounts)).toBe(expected);
  });
});

describe('names', () => {
  it('names a TaskRun <pipelineRun>-<task> and hashes names over 63 characters', () => {
    expect(childName('run-abcde', '-measure')).toBe('run-abcde-measure');
    const long = childName('a'.repeat(60), '-measure');
    expect(long).toHaveLength(63);
    expect(long.endsWith('-measure')).toBe(true);
  });

  it('appends five characters from the Kubernetes name alphabet', () => {
    expect(generateName('cache-ramp-run-', () => 0)).toBe('cache-ramp-run-bbbbb');
  });

  it.each([
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['500ms', 500],
    ['0', 0],
    ['10', undefined],
    ['1x', undefined],
  ])('reads Go duration %s as %p ms', (text, ms) => {
    expect(goDurationMs(text)).toBe(ms);
  });
});

describe('termination message', () => {
  it('holds every result file plus StartedAt, as JSON Go would write', () => {
    const msg = terminationMessage({
      files: { verdict: 'PASS', summary: '<a&b>' },
      startedAt: '2025-01-01T00:00:00.000Z',
    });
    expect(msg).toBe(
      '[{"key":"verdict","value":"PASS","type":1},{"key":"summary","value":"\\u003ca\\u0026b\\u003e","type":1},' +
        '{"key":"StartedAt","value":"2025-01-01T00:00:00.000Z","type":3}]',
    );
    expect(messageBytes(msg)).toBe(msg.length);
  });
});

describe('pipeline results', () => {
  const specs = [
    { name: 'hit-rate', value: '$(tasks.measure.results.hit-rate)' },
    { name: 'verdict', value: '$(finally.report.results.verdict)' },
  ];
  it('takes values from task and finally results', () => {
    const out = pipelineResults(
      specs,
      new Map([
        ['measure', [{ name: 'hit-rate', value: '0.93' }]],
        ['report', [{ name: 'verdict', value: 'PASS' }]],
      ]),
      new Map([
        ['measure', 'Succeeded' as const],
        ['report', 'Succeeded' as const],
      ]),
    );
    expect(out).toEqual({
      results: [
        { name: 'hit-rate', value: '0.93' },
        { name: 'verdict', value: 'PASS' },
      ],
      invalid: [],
    });
  });

  it('omits a result a failed task never wrote, and flags one a successful task never wrote', () => {
    const out = pipelineResults(
      specs,
      new Map(),
      new Map([
        ['measure', 'Failed' as const],
        ['report', 'Succeeded' as const],
      ]),
    );
    expect(out).toEqual({ results: [], invalid: ['verdict'] });
  });

  it.each([
    [['Succeeded', 'Succeeded'], 0, 'Succeeded'],
    [['Succeeded', 'None'], 1, 'Completed'],
    [['Failed', 'None'], 1, 'Failed'],
  ] as const)('$(tasks.status) of %p with %p skipped is %s', (outcomes, skipped, expected) => {
    expect(aggregateStatus(outcomes, skipped)).toBe(expected);
  });
});

describe('TaskRun plan', () => {
  const spec: TaskSpec = {
    params: [{ name: 'url' }, { name: 'flags', type: 'array', default: ['--a', '--b'] }],
    results: [{ name: 'verdict' }],
    workspaces: [
      { name: 'data', optional: true },
      { name: 'out', optional: true },
    ],
    stepTemplate: {
      env: [
        { name: 'LEVEL', value: 'info' },
        { name: 'KEEP', value: 'template' },
      ],
    },
    steps: [
      {
        name: 'go',
        image: 'img:1',
        command: ['kv-cache-bench'],
        args: [
          'report',
          '$(params.flags[*])',
          '--url=$(params.url)',
          '--results-dir=$(results.verdict.path)',
          '--tr=$(context.taskRun.name)',
        ],
        workingDir: '$(workspaces.data.path)',
        env: [{ name: 'LEVEL', value: 'debug' }],
      },
      {
        name: 'copy',
        image: 'img:1',
        command: ['x'],
        when: [{ input: '$(workspaces.out.bound)', operator: 'in', values: ['true'] }],
      },
    ],
  };
  const ctx = { taskRunName: 'pr-abcde-t', namespace: 'ns', uid: 'u', retryCount: 0 };

  it('resolves the container command, workspace paths, env merge and step when', () => {
    const out = planTaskRun({
      taskName: 't',
      spec,
      params: { url: 'http://gw' },
      workspaces: { data: { volume: 'v', claim: '' } },
      context: ctx,
    });
    if (!out.ok) throw new Error(out.message);
    const [go, copy] = out.plan.steps;
    expect(go?.argv).toEqual([
      'kv-cache-bench',
      'report',
      '--a',
      '--b',
      '--url=http://gw',
      '--results-dir=/tekton/results/verdict',
      '--tr=pr-abcde-t',
    ]);
    expect(go?.workingDir).toBe('/workspace/data');
    expect(go?.env).toEqual([
      { name: 'LEVEL', value: 'debug' },
      { name: 'KEEP', value: 'template' },
    ]);
    expect(copy?.when.allowed).toBe(false);
  });

  it.each([
    [{}, {}, 'TaskRunValidationFailed', 'TaskRun pr-abcde-t is missing params with no default: url'],
    [{ url: 'u' }, {}, 'TaskValidationFailed', 'step go refers to undefined variables: $(params.nope)'],
  ])('fails validation like the webhook would', (params, _ws, reason, message) => {
    const broken: TaskSpec = { ...spec, steps: [{ ...spec.steps[0], args: ['$(params.nope)'] }] };
    const out = planTaskRun({
      taskName: 't',
      spec: reason === 'TaskValidationFailed' ? broken : spec,
      params,
      workspaces: {},
      context: ctx,
    });
    expect(out).toEqual({ ok: false, reason, message });
  });
});

describe('matrix fan-out', () => {
  const p = (name: string, value: unknown) => ({ name, value });
  it.each([
    [
      'the cross product, value by value',
      { params: [p('a', ['1', '2']), p('b', ['x', 'y'])] },
      [
        { a: '1', b: 'x' },
        { a: '2', b: 'x' },
        { a: '1', b: 'y' },
        { a: '2', b: 'y' },
      ],
    ],
    [
      'include completing the combinations it matches, or standing alone',
      {
        params: [p('a', ['1', '2'])],
        include: [{ params: [p('a', '1'), p('c', 'extra')] }, { params: [p('a', '3')] }],
      },
      [{ a: '1', c: 'extra' }, { a: '2' }, { a: '3' }],
    ],
    [
      'include only: explicit combinations',
      {
        include: [
          { name: 's0', params: [p('shard', '0/2'), p('file', 'r0')] },
          { name: 's1', params: [p('shard', '1/2'), p('file', 'r1')] },
        ],
      },
      [
        { shard: '0/2', file: 'r0' },
        { shard: '1/2', file: 'r1' },
      ],
    ],
    [
      'an array param expanded in place',
      { params: [p('w', ['$(params.arr[*])', 'c'])] },
      [{ w: 'a' }, { w: 'b' }, { w: 'c' }],
    ],
  ])('%s', (_what, matrix, combos) => {
    expect(fanOut(matrix, r)).toEqual(combos);
  });

  it('gathers each string result into an array, one element per TaskRun', () => {
    const runs = [[{ name: 'said', value: 'x' }], [{ name: 'said', value: 'y' }]];
    expect(aggregateResults(runs)).toEqual([{ name: 'said', value: ['x', 'y'] }]);
  });
});

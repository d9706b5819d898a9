import {
  checkFields,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from '../../../../src/sim/kube-api/selectors.ts';

const POD = { app: 'llama-decode', 'llm-d.ai/role': 'decode', tier: '3' };

describe('label selectors', () => {
  it.each([
    ['llm-d.ai/role=decode', true],
    ['llm-d.ai/role==decode', true],
    ['llm-d.ai/role=prefill', false],
    ['llm-d.ai/role!=prefill', true],
    ['missing!=x', true],
    ['llm-d.ai/role in (decode,prefill)', true],
    ['llm-d.ai/role in (prefill)', false],
    ['llm-d.ai/role notin (prefill, both)', true],
    ['missing notin (a)', true],
    ['missing in (a)', false],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['tier>2', true],
    ['tier<3', false],
    ['app=llama-decode,llm-d.ai/role in (decode,x),!missing', true],
    ['app=llama-decode, llm-d.ai/role=prefill', false],
    ['', true],
  ])('%s matches the decode pod: %s', (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), POD)).toBe(expected);
  });

  it.each([['a b'], ['x in a,b'], ['-bad=1'], ['role=in valid'], ['role=a b']])('rejects %p', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(SelectorError);
  });

  it('reads `key=` as the empty value', () => {
    expect(parseLabelSelector('role==')).toEqual([{ key: 'role', op: '=', values: [''] }]);
    expect(matchesLabels(parseLabelSelector('role='), { role: '' })).toBe(true);
  });
});

describe('field selectors', () => {
  const fields = { 'metadata.name': 'p-1', 'status.phase': 'Running' };

  it.each([
    ['metadata.name=p-1', true],
    ['metadata.name==p-1', true],
    ['metadata.name!=p-1', false],
    ['status.phase=Running,metadata.name=p-1', true],
    ['status.phase=Pending', false],
    ['status.phase!=Pending', true],
  ])('%s: %s', (selector, expected) => {
    expect(matchesFields(parseFieldSelector(selector), fields)).toBe(expected);
  });

  it('unescapes commas and equals signs in values', () => {
    expect(parseFieldSelector('metadata.name=a\\,b\\=c')).toEqual([
      { field: 'metadata.name', op: '=', value: 'a,b=c' },
    ]);
  });

  it('reports an unsupported field the way the apiserver does', () => {
    expect(() => checkFields(parseFieldSelector('spec.foo=1'), ['metadata.name'])).toThrow(
      'field label not supported: spec.foo',
    );
  });
});

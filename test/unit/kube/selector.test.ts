import { UsageError } from '../../../src/errors.ts';
import { checkNamespace, checkSelector } from '../../../src/kube/selector.ts';

describe('checkSelector', () => {
  it.each([
    'llm-d.ai/role=decode',
    'app==vllm',
    'app!=prefill',
    'app=',
    'tier',
    '!canary',
    'app in (vllm, decode)',
    'app notin (a,b),llm-d.ai/role=decode',
    'app.kubernetes.io/name=vllm,app.kubernetes.io/component=decode',
    'Env_1.x=A-b_c.d',
  ])('accepts %j', (selector) => {
    expect(checkSelector(selector)).toBe(selector);
  });

  it.each([
    ['app=$(rm -rf /)', 'cannot read'],
    ['ロール=デコード', 'label key "ロール" is not a label name'],
    ['app in (vllm', 'cannot read'],
    ['app=a b', 'cannot read'],
    ['app=,', 'an empty requirement'],
    ['Bad_Prefix/app=x', 'label key prefix "Bad_Prefix" is not a DNS subdomain'],
    [`app=${'v'.repeat(64)}`, 'is not valid'],
    ['app=-x', 'label value "-x" is not valid'],
    ['', '--selector is empty'],
  ])('refuses %j with one line', (selector, message) => {
    expect(() => checkSelector(selector)).toThrow(UsageError);
    expect(() => checkSelector(selector)).toThrow(message);
  });
});

describe('checkNamespace', () => {
  it.each(['llm-d', 'default', 'a', `n${'s'.repeat(62)}`])('accepts %j', (ns) => {
    expect(checkNamespace(ns)).toBe(ns);
  });
  it.each(['llm-d; rm -rf /', 'LLM-D', '-x', 'x-', '../etc', `n${'s'.repeat(63)}`, ''])(
    'refuses %j',
    (ns) => {
      expect(() => checkNamespace(ns)).toThrow(/is not a namespace name/);
    },
  );
});

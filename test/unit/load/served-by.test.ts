import { headerValue, podFromSessionToken } from '../../../src/load/served-by.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('which pod served a request', () => {
  it.each([
    [b64('llm-d/decode-7f9c-abcde'), 'decode-7f9c-abcde'],
    [b64('llm-d/vllm-0'), 'vllm-0'],
    [` ${b64('ns/pod.a')} `, 'pod.a'],
    [b64('no-slash'), undefined],
    [b64('ns/'), undefined],
    [b64('ns/Not_A_Pod'), undefined],
    ['%%%not-base64', undefined],
    ['', undefined],
  ])('decodes session token %p to pod %p', (token, pod) => {
    expect(podFromSessionToken(token)).toBe(pod);
  });

  it('reads a header case-insensitively and takes the first of repeated values', () => {
    expect(headerValue({ 'x-served-by': 'pod-a' }, 'X-Served-By')).toBe('pod-a');
    expect(headerValue({ 'x-served-by': ['pod-a', 'pod-b'] }, 'x-served-by')).toBe('pod-a');
    expect(headerValue(undefined, 'x')).toBeUndefined();
  });
});

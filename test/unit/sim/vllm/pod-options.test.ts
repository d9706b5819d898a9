import { ZERO_LATENCY, type VllmPodOptions } from '../../../../src/sim/contracts.ts';
import { checkPodOptions } from '../../../../src/sim/vllm/pod.ts';
import { approxTokenizer } from '../../../../src/tokenize/tokenizer.ts';

const base: VllmPodOptions = {
  name: 'decode-0',
  namespace: 'llm-d',
  model: 'm',
  tokenizer: approxTokenizer(),
  blockSizeTokens: 16,
  numBlocks: 129,
  maxNumSeqs: 4,
  maxModelLen: 2048,
  latency: ZERO_LATENCY,
  enablePromptTokensDetails: false,
  seed: 1,
  host: '127.0.0.1',
};

describe('pod options', () => {
  it('accepts a KV cache that holds one max-length sequence besides the null block', () => {
    expect(() => checkPodOptions(base)).not.toThrow();
  });

  it.each([
    [
      { numBlocks: 128 },
      'max model len (2048) is larger than the maximum number of tokens that can be stored in KV cache (2032)',
    ],
    [{ maxNumSeqs: 0 }, 'maxNumSeqs must be a positive integer'],
  ])('refuses to start with %j, as vLLM does', (override, message) => {
    expect(() => checkPodOptions({ ...base, ...override })).toThrow(message);
  });
});

// DESIGN.md "Demo defaults": 24 sessions × 10 turns, ~50-token system prompt, ~40-token user turns,
// ~200-token answers must let a perfect router reach about 0.95 on turns 2–10 (warm-up sends turn 1).
import { ChatEncoder, loadTokenizer } from '../../../src/tokenize/tokenizer.ts';
import { WHOLE } from '../../../src/workload/plan.ts';
import { createPrng } from '../../../src/workload/prng.ts';
import { SessionPool, WorkloadContent } from '../../../src/workload/sessions.ts';
import { generateText } from '../../../src/workload/text.ts';
import { PrefixTracker } from '../../../src/workload/upper-bound.ts';

it('gives the demo shape an upper bound of at least 0.93 with real Llama 3 tokens', async () => {
  const tok = await loadTokenizer('llama3');
  const shape = { seed: 42, sessions: 24, turns: 10, systemPromptTokens: 50, userTokens: 40 };
  const encoder = new ChatEncoder(tok);
  const pool = new SessionPool({
    shape,
    part: WHOLE,
    content: new WorkloadContent(shape, (t) => tok.count(t)),
    encoder,
    tracker: new PrefixTracker(),
  });
  // A deterministic responder: a ~200-token answer seeded by the request number.
  let reusable = 0;
  let prompt = 0;
  for (let i = 0; i < shape.sessions * shape.turns; i++) {
    const prepared = pool.prepare(pool.acquire()!, '26 Nov 2026');
    if (prepared.turn > 1) {
      reusable += prepared.prefixReusableTokens;
      prompt += prepared.promptIds.length;
    }
    // Sized by words (~1.2 tokens each) to stay fast; the pool re-tokenizes it with Llama 3.
    const answer = generateText(createPrng(1000 + i), 200, (t) => Math.round(t.split(' ').length * 1.2));
    pool.complete(prepared, answer);
  }
  const upperBound = reusable / prompt;
  expect(upperBound).toBeGreaterThanOrEqual(0.93);
  expect(upperBound).toBeLessThan(1);
});

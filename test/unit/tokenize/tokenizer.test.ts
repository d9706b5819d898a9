import {
  renderLlama32Chat,
  renderLlama32Segments,
  templateDate,
} from '../../../src/tokenize/chat-template.ts';
import { ChatEncoder, approxTokenizer, loadTokenizer } from '../../../src/tokenize/tokenizer.ts';

// ../shared/research/vllm-llmd-semantics.md §2.3: measured with the Llama-3 BPE.
const HELLO_IDS = [
  128000, 128006, 9125, 128007, 271, 38766, 1303, 33025, 2696, 25, 6790, 220, 2366, 18, 198, 15724, 2696, 25,
  220, 1627, 10263, 220, 2366, 19, 271, 128009, 128006, 882, 128007, 271, 9906, 128009, 128006, 78191, 128007,
  271,
];

describe('Llama 3.2 chat template', () => {
  it('tokenizes one user message to the ids vLLM produces', async () => {
    const tok = await loadTokenizer('llama3');
    const text = renderLlama32Chat([{ role: 'user', content: 'Hello' }], { dateString: '26 Jul 2024' });
    expect(tok.encode(text)).toEqual(HELLO_IDS);
  });

  it('encodes segment by segment exactly as the whole string', async () => {
    const tok = await loadTokenizer('llama3');
    const messages = [
      { role: 'system' as const, content: '  You are a helpful assistant.  ' },
      { role: 'user' as const, content: 'What is a KV cache? Explain, briefly.' },
      { role: 'assistant' as const, content: 'It stores keys and values of past tokens.' },
      { role: 'user' as const, content: 'And prefix caching?' },
    ];
    const whole = tok.encode(renderLlama32Chat(messages, { dateString: '09 Sep 2025' }));
    expect(new ChatEncoder(tok).encodeChat(messages, '09 Sep 2025')).toEqual(whole);
  });

  it.each([
    [Date.UTC(2024, 6, 26, 23, 59), '26 Jul 2024'],
    [Date.UTC(2025, 8, 9, 0, 0), '09 Sep 2025'],
  ])('formats %p as %p (strftime %%d %%b %%Y, UTC)', (ms, expected) => {
    expect(templateDate(ms)).toBe(expected);
  });

  it('puts the date at token index 19, inside block 1', async () => {
    const tok = await loadTokenizer('llama3');
    const a = tok.encode(renderLlama32Chat([{ role: 'user', content: 'Hi' }], { dateString: '26 Jul 2024' }));
    const b = tok.encode(renderLlama32Chat([{ role: 'user', content: 'Hi' }], { dateString: '27 Jul 2024' }));
    const firstDiff = a.findIndex((id, i) => id !== b[i]);
    expect(firstDiff).toBe(19);
  });
});

describe('ChatEncoder', () => {
  const conversation = (): { role: 'system' | 'user' | 'assistant' | 'tool'; content: string }[] => [
    { role: 'system', content: ' Be brief. ' },
    { role: 'user', content: 'What is a block?' },
    { role: 'assistant', content: ' Sixteen tokens of KV. ' },
    { role: 'tool', content: '{"ok":true}' },
    { role: 'user', content: '' },
  ];

  it.each([['llama3'], ['approx']] as const)(
    '%s: ids equal the rendered segments encoded one by one, with and without the generation prompt',
    async (kind) => {
      const tok = await loadTokenizer(kind);
      const encoder = new ChatEncoder(tok);
      for (const addGenerationPrompt of [true, false]) {
        for (const messages of [conversation(), conversation().slice(1), []]) {
          const expected = renderLlama32Segments(messages, {
            dateString: '01 Feb 2026',
            addGenerationPrompt,
          }).flatMap((segment) => tok.encode(segment));
          // Twice: the second call answers from what the first remembered.
          expect(encoder.encodeChat(messages, '01 Feb 2026', addGenerationPrompt)).toEqual(expected);
          expect(encoder.encodeChat(messages, '01 Feb 2026', addGenerationPrompt)).toEqual(expected);
        }
      }
    },
  );

  it('renders a new date into the system block of a remembered conversation', async () => {
    const tok = await loadTokenizer('llama3');
    const encoder = new ChatEncoder(tok);
    const messages = conversation();
    encoder.encodeChat(messages, '01 Feb 2026');
    const next = encoder.encodeChat(messages, '02 Feb 2026');
    expect(next).toEqual(tok.encode(renderLlama32Chat(messages, { dateString: '02 Feb 2026' })));
  });
});

describe('approx tokenizer', () => {
  it('averages 4.2 characters per token and keeps special tokens', () => {
    const tok = approxTokenizer();
    expect(tok.encode('a'.repeat(42)).length).toBe(10);
    expect(tok.encode('<|eot_id|>abcd')).toEqual([128009, expect.any(Number)]);
  });

  it('counts without encoding exactly what encoding gives, at every length', () => {
    const tok = approxTokenizer();
    for (let n = 0; n <= 200; n++) {
      const text = 'x'.repeat(n);
      expect([n, tok.count(text)]).toEqual([n, tok.encode(text).length]);
    }
    expect(tok.count('ab<|eot_id|>cdefg')).toBe(tok.encode('ab<|eot_id|>cdefg').length);
  });

  it('is prefix-stable', () => {
    const tok = approxTokenizer();
    const a = tok.encode('the same beginning, then one ending');
    const b = tok.encode('the same beginning, then another ending');
    expect(a.slice(0, 6)).toEqual(b.slice(0, 6));
  });
});

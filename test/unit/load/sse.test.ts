import { SseParser } from '../../../src/load/sse.ts';

const STREAM =
  'data: {"choices":[{"delta":{"role":"assistant","content":""}}]}\n\n' +
  ': keep-alive comment\n\n' +
  'data: {"choices":[{"delta":{"content":"Grüße, 世界 🙂"}}]}\r\n\r\n' +
  'event: message\nid: 7\ndata:{"a":1}\n\n' +
  'data: line one\ndata: line two\n\n' +
  'data: [DONE]\n\n';

const EXPECTED = [
  '{"choices":[{"delta":{"role":"assistant","content":""}}]}',
  '{"choices":[{"delta":{"content":"Grüße, 世界 🙂"}}]}',
  '{"a":1}',
  'line one\nline two',
  '[DONE]',
];

function parseInChunks(bytes: Uint8Array, cuts: number[]): string[] {
  const parser = new SseParser();
  const out: string[] = [];
  let last = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...parser.push(bytes.subarray(last, cut)));
    last = cut;
  }
  out.push(...parser.end());
  return out;
}

describe('SSE parser', () => {
  const bytes = new TextEncoder().encode(STREAM);

  it('reads a whole stream in one chunk', () => {
    expect(parseInChunks(bytes, [])).toEqual(EXPECTED);
  });

  it('gives the same events whatever byte the stream is split at (UTF-8, CRLF and lines cut in two)', () => {
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(parseInChunks(bytes, [cut])).toEqual(EXPECTED);
    }
  });

  it('gives the same events when every byte arrives on its own', () => {
    expect(
      parseInChunks(
        bytes,
        Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
      ),
    ).toEqual(EXPECTED);
  });

  it.each([
    ['lone CR line endings', 'data: a\r\rdata: b\r\r', ['a', 'b']],
    ['no space after the colon', 'data:x\n\n', ['x']],
    ['only the first space stripped', 'data:  two spaces\n\n', [' two spaces']],
    ['a field without a colon is an empty data line', 'data\n\n', ['']],
    ['last event without its blank line, kept at end of stream', 'data: [DONE]\n', ['[DONE]']],
    ['last line without any newline', 'data: [DONE]', ['[DONE]']],
    ['fields other than data ignored', 'retry: 10\nevent: x\n\n', []],
  ])('handles %s', (_name, text, expected) => {
    const parser = new SseParser();
    expect([...parser.push(text), ...parser.end()]).toEqual(expected);
  });
});

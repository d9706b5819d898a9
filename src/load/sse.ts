// Server-sent events, incrementally: bytes arrive in arbitrary chunks (a UTF-8 character, a line, or
// "\r\n" may be split across two), events come out as their joined `data:` payloads.
// Line and field rules from the WHATWG HTML spec §9.2.6 "Interpreting an event stream".

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private data: string[] = [];

  /** Feeds a chunk; returns the data of every event it completed, in order. */
  push(chunk: Uint8Array | string): string[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const events: string[] = [];
    let start = 0;
    for (;;) {
      const lf = this.buffer.indexOf('\n', start);
      const cr = this.buffer.indexOf('\r', start);
      let end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (end === -1) break;
      let next = end + 1;
      if (end === cr && cr !== -1 && (lf === -1 || cr < lf)) {
        // A CR at the very end may be the first half of a CRLF split across chunks: wait for more.
        if (cr === this.buffer.length - 1) break;
        if (this.buffer.charCodeAt(cr + 1) === 10) next = cr + 2;
        end = cr;
      }
      this.line(this.buffer.slice(start, end), events);
      start = next;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /**
   * End of stream. The spec drops an event that lacks its closing blank line; we keep it, because a
   * server that closes right after `data: [DONE]\n` still meant it.
   */
  end(): string[] {
    const events = this.push(this.decoder.decode());
    if (this.buffer.length > 0) this.line(this.buffer.replace(/\r$/, ''), events);
    this.buffer = '';
    if (this.data.length > 0) events.push(this.data.join('\n'));
    this.data = [];
    return events;
  }

  private line(line: string, events: string[]): void {
    if (line.length === 0) {
      if (this.data.length > 0) events.push(this.data.join('\n'));
      this.data = [];
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' comment */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field !== 'data') return; // event, id, retry: OpenAI-style streams do not use them
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    this.data.push(value);
  }
}

import { clientResponseHeaders, upstreamRequestHeaders } from '../../../../src/sim/gateway/forward.ts';

describe('headers across the gateway', () => {
  it.each([
    ['authorization', 'Bearer sk-1', true],
    ['content-type', 'application/json', true],
    ['x-session-token', 'bGxtLWQvYQ==', true],
    ['accept', 'text/event-stream', true],
    ['host', 'llm-d.demo.local', false],
    ['connection', 'keep-alive', false],
    ['keep-alive', 'timeout=5', false],
    ['transfer-encoding', 'chunked', false],
    ['content-length', '12', false],
    ['expect', '100-continue', false],
    ['upgrade', 'h2c', false],
  ])('sends request header %s upstream: %p → %p', (name, value, kept) => {
    const out = upstreamRequestHeaders({ [name]: value }, {});
    expect(name in out).toBe(kept);
  });

  it("adds the gateway's own request headers", () => {
    expect(
      upstreamRequestHeaders({ accept: '*/*' }, { 'x-gateway-destination-endpoint': '127.0.0.1:8000' }),
    ).toEqual({
      accept: '*/*',
      'x-gateway-destination-endpoint': '127.0.0.1:8000',
    });
  });

  it.each([
    ['content-type', true],
    ['content-length', true],
    ['date', true],
    ['connection', false],
    ['keep-alive', false],
    ['transfer-encoding', false],
  ])('returns response header %s to the client: %p', (name, kept) => {
    expect(name in clientResponseHeaders({ [name]: 'v' }, undefined)).toBe(kept);
  });

  it('adds the EPP and policy response headers', () => {
    expect(
      clientResponseHeaders({ 'content-type': 'application/json' }, { 'x-went-into-resp-headers': 'true' }),
    ).toEqual({
      'content-type': 'application/json',
      'x-went-into-resp-headers': 'true',
    });
  });
});

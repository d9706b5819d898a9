// Endpoints with settable loads, for the policies' unit tests.
import type { GatewayEndpoint, PodLoad } from '../../../../src/sim/contracts.ts';

export interface FakeEndpoint extends GatewayEndpoint {
  current: PodLoad;
}

export function fakeEndpoints(names: string[], namespace = 'llm-d'): FakeEndpoint[] {
  return names.map((name, i) => {
    const ep: FakeEndpoint = {
      name,
      namespace,
      url: `http://127.0.0.1:${8001 + i}`,
      current: { waiting: 0, running: 0, kvUsage: 0 },
      load: () => ep.current,
    };
    return ep;
  });
}

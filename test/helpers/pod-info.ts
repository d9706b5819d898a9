// A Ready, Running decode pod as the Kubernetes client reports it, for tests that fake the pod list.
import type { PodInfo } from '../../src/kube/types.ts';

export function fakePodInfo(name: string, over: Partial<PodInfo> = {}): PodInfo {
  return {
    name,
    namespace: 'llm-d',
    uid: `uid-${name}`,
    ip: '127.0.0.1',
    startTime: '2025-12-31T00:00:00Z',
    ready: true,
    phase: 'Running',
    deleting: false,
    labels: {},
    containerPorts: [],
    conditions: [],
    ...over,
  };
}

// Which container port serves vLLM. llm-d runs vLLM on 8001 or 8200 behind a routing sidecar on 8000
// (llm-d guides, inference-scheduling values), so a named port wins, then those numbers, then the first.
import type { PodInfo } from './types.ts';

const PREFERRED_NAMES = ['metrics', 'vllm'];
const PREFERRED_NUMBERS = [8001, 8200, 8000];

export function vllmPortOf(pod: PodInfo, override?: number): number | undefined {
  if (override) return override;
  const ports = pod.containerPorts;
  for (const name of PREFERRED_NAMES) {
    const p = ports.find((x) => x.name === name);
    if (p) return p.containerPort;
  }
  for (const n of PREFERRED_NUMBERS) {
    if (ports.some((x) => x.containerPort === n)) return n;
  }
  return ports[0]?.containerPort;
}

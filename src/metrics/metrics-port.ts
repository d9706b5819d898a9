// Which container port serves vLLM's /metrics. Pure.
import type { PodInfo } from '../kube/types.ts';

/**
 * --metrics-port wins. Else a port named `metrics` or `vllm`; else 8001/8200, where llm-d runs vLLM behind
 * its routing sidecar (llm-d modelservice decode pods: vLLM on 8001 or 8200, the sidecar on 8000 — the
 * reference demo reads `localhost:8001/metrics || localhost:8200/metrics`); else 8000 (plain vLLM's
 * default); else the first declared port.
 */
export function metricsPortOf(ports: PodInfo['containerPorts'], explicit?: number): number | undefined {
  if (explicit !== undefined) return explicit;
  for (const name of ['metrics', 'vllm']) {
    const named = ports.find((p) => p.name === name);
    if (named) return named.containerPort;
  }
  for (const port of [8001, 8200, 8000]) {
    if (ports.some((p) => p.containerPort === port)) return port;
  }
  return ports[0]?.containerPort;
}

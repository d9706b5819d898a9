// --via prometheus: the pods' vLLM counters from a Prometheus / Thanos querier instead of the pods.
// Query building and answer decoding are pure; the GET is passed in.
import type { Sample } from './prom-text.ts';
import { parseFloatToken } from './prom-text.ts';
import { VLLM_COUNTER_SERIES } from './vllm-counters.ts';

/** Every series name readVllmCounters may use (current and deprecated). */
export function counterSeriesNames(): string[] {
  const names: string[] = [];
  for (const s of Object.values(VLLM_COUNTER_SERIES)) {
    names.push(s.current);
    if (s.deprecated) names.push(s.deprecated);
  }
  return names;
}

function promqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function regexEscape(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * One instant query for every counter of every pod of the namespace: summed over `engine` and
 * `finished_reason` on the server, kept apart by series name, pod and model (several models may share a
 * namespace; readVllmCounters picks ours as it does for a scraped page). Prometheus keeps the exporter's
 * `pod` label through the usual PodMonitor/ServiceMonitor relabelling.
 */
export function buildCounterQuery(namespace: string): string {
  const names = counterSeriesNames().map(regexEscape).join('|');
  // \\ doubles for the PromQL string literal holding the regex.
  return `sum by (__name__, pod, model_name) ({__name__=~${promqlString(names)},namespace=${promqlString(namespace)}})`;
}

interface PromVectorAnswer {
  status?: string;
  error?: string;
  errorType?: string;
  data?: { resultType?: string; result?: { metric?: Record<string, string>; value?: [number, string] }[] };
}

/** Decodes /api/v1/query's answer into samples per pod. Throws with Prometheus' own error text. */
export function decodeCounterAnswer(body: string): Map<string, Sample[]> {
  let answer: PromVectorAnswer;
  try {
    answer = JSON.parse(body) as PromVectorAnswer;
  } catch {
    throw new Error(`Prometheus answered something that is not JSON: ${body.slice(0, 120)}`);
  }
  if (answer.status !== 'success') {
    throw new Error(
      `Prometheus query failed: ${answer.errorType ?? 'error'}: ${answer.error ?? 'no message'}`,
    );
  }
  if (answer.data?.resultType !== 'vector')
    throw new Error(`Prometheus answered a ${answer.data?.resultType ?? 'missing'} result, not a vector`);
  const byPod = new Map<string, Sample[]>();
  for (const series of answer.data.result ?? []) {
    const metric = series.metric ?? {};
    const pod = metric.pod;
    const name = metric.__name__;
    const value = parseFloatToken(series.value?.[1] ?? '');
    if (!pod || !name || value === undefined) continue;
    const labels: Record<string, string> = {};
    if (metric.model_name !== undefined) labels.model_name = metric.model_name;
    let list = byPod.get(pod);
    if (!list) byPod.set(pod, (list = []));
    list.push({ name, labels, value });
  }
  return byPod;
}

export function queryUrl(prometheusUrl: string, query: string): string {
  const base = prometheusUrl.replace(/\/+$/, '');
  return `${base}/api/v1/query?query=${encodeURIComponent(query)}`;
}

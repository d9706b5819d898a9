// The fault spec grammar of the embedded stack (docs/FAULTS.md): parsing and formatting, pure. The
// injector that applies the specs is ./faults.ts.
import { UsageError } from '../errors.ts';

export type PodTarget = { kind: 'all' } | { kind: 'index'; index: number } | { kind: 'name'; name: string };

export type FaultSpec =
  | { kind: 'gateway-503'; share: number }
  | { kind: 'cut-stream'; pod: PodTarget; share: number }
  | { kind: 'stall'; pod: PodTarget; ms: number }
  | { kind: 'metrics-garbage'; pod: PodTarget }
  | { kind: 'metrics-timeout'; pod: PodTarget }
  | { kind: 'kill-pod-after'; pod: PodTarget; ms: number }
  | { kind: 'delete-pod-after'; pod: PodTarget; ms: number }
  | { kind: 'api-500'; count: number }
  | { kind: 'api-500'; share: number }
  | { kind: 'drop-watch-after'; ms: number };

export type FaultName = FaultSpec['kind'];

export const FAULT_NAMES: readonly FaultName[] = [
  'gateway-503',
  'cut-stream',
  'stall',
  'metrics-garbage',
  'metrics-timeout',
  'kill-pod-after',
  'delete-pod-after',
  'api-500',
  'drop-watch-after',
];

/** One line for --help and error messages. */
export const FAULTS_SYNTAX =
  'gateway-503=P%, cut-stream=[T:]P%, stall=[T:]DUR, metrics-garbage=T, metrics-timeout=T, ' +
  'kill-pod-after=[T:]DUR, delete-pod-after=[T:]DUR, api-500=N|P%, drop-watch-after=DUR (T = pod-N, a pod name or *)';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
/** A fault that waits longer than this is a typo, not a test. */
const MAX_FAULT_MS = 3_600_000;
const POD_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function bad(spec: string, why: string): UsageError {
  return new UsageError(`--faults ${JSON.stringify(spec)}: ${why} (faults: ${FAULTS_SYNTAX})`);
}

function parseShare(text: string, spec: string): number {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(text);
  const pct = Number(m?.[1]);
  if (!m || !(pct > 0) || pct > 100)
    throw bad(spec, `"${text}" is not a share above 0% and at most 100% (e.g. 10%)`);
  return pct / 100;
}

function parseMs(text: string, spec: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!m) throw bad(spec, `"${text}" is not a duration (e.g. 500ms, 2s, 1m)`);
  const ms = Math.round(Number(m[1]) * (UNIT_MS[m[2] as string] as number));
  if (ms > MAX_FAULT_MS) throw bad(spec, `"${text}" is longer than 1h`);
  return ms;
}

export function parsePodTarget(text: string, spec: string): PodTarget {
  if (text === '*') return { kind: 'all' };
  const ordinal = /^pod-(\d{1,4})$/.exec(text);
  if (ordinal) return { kind: 'index', index: Number(ordinal[1]) };
  if (POD_NAME.test(text)) return { kind: 'name', name: text };
  throw bad(spec, `"${text}" is not a pod (pod-N, a pod name, or *)`);
}

/** `[TARGET:]rest` → the target (or the default) and the rest. */
function splitTarget(value: string, spec: string, fallback: PodTarget): [PodTarget, string] {
  const colon = value.lastIndexOf(':');
  if (colon === -1) return [fallback, value];
  return [parsePodTarget(value.slice(0, colon), spec), value.slice(colon + 1)];
}

const ALL: PodTarget = { kind: 'all' };

export function parseFault(spec: string): FaultSpec {
  const text = spec.trim();
  const eq = text.indexOf('=');
  if (eq === -1) throw bad(spec, 'expected name=value');
  const name = text.slice(0, eq);
  const value = text.slice(eq + 1);
  if (value === '') throw bad(spec, 'no value after =');
  switch (name) {
    case 'gateway-503':
      return { kind: name, share: parseShare(value, spec) };
    case 'cut-stream': {
      const [pod, rest] = splitTarget(value, spec, ALL);
      return { kind: name, pod, share: parseShare(rest, spec) };
    }
    case 'stall': {
      const [pod, rest] = splitTarget(value, spec, ALL);
      return { kind: name, pod, ms: parseMs(rest, spec) };
    }
    case 'metrics-garbage':
    case 'metrics-timeout':
      return { kind: name, pod: parsePodTarget(value, spec) };
    case 'kill-pod-after':
    case 'delete-pod-after': {
      const [pod, rest] = splitTarget(value, spec, { kind: 'index', index: 0 });
      return { kind: name, pod, ms: parseMs(rest, spec) };
    }
    case 'api-500': {
      if (value.endsWith('%')) return { kind: name, share: parseShare(value, spec) };
      if (!/^\d{1,6}$/.test(value) || Number(value) < 1)
        throw bad(spec, `"${value}" is neither a count from 1 to 999999 nor a share (e.g. 3 or 20%)`);
      return { kind: name, count: Number(value) };
    }
    case 'drop-watch-after':
      return { kind: name, ms: Math.max(1, parseMs(value, spec)) };
    default:
      throw bad(spec, `unknown fault "${name}"`);
  }
}

/** Comma-separated specs, from one flag value or several (a repeated --faults adds up). */
export function parseFaults(input: string | readonly string[]): FaultSpec[] {
  const parts = (typeof input === 'string' ? [input] : input)
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return parts.map(parseFault);
}

function targetText(t: PodTarget): string {
  return t.kind === 'all' ? '*' : t.kind === 'index' ? `pod-${t.index}` : t.name;
}

const pct = (share: number): string => `${Math.round(share * 10000) / 100}%`;

/** The canonical spec text (what `sim` logs and FAULTS.md documents). */
export function formatFault(f: FaultSpec): string {
  switch (f.kind) {
    case 'gateway-503':
      return `${f.kind}=${pct(f.share)}`;
    case 'cut-stream':
      return `${f.kind}=${targetText(f.pod)}:${pct(f.share)}`;
    case 'stall':
    case 'kill-pod-after':
    case 'delete-pod-after':
      return `${f.kind}=${targetText(f.pod)}:${f.ms}ms`;
    case 'metrics-garbage':
    case 'metrics-timeout':
      return `${f.kind}=${targetText(f.pod)}`;
    case 'api-500':
      return `${f.kind}=${'count' in f ? f.count : pct(f.share)}`;
    case 'drop-watch-after':
      return `${f.kind}=${f.ms}ms`;
  }
}

/** Which pods a target names, given the current pods sorted by name. */
export function resolveTarget(target: PodTarget, podNames: readonly string[]): string[] {
  if (target.kind === 'all') return [...podNames];
  if (target.kind === 'name') return podNames.includes(target.name) ? [target.name] : [];
  const name = podNames[target.index];
  return name === undefined ? [] : [name];
}

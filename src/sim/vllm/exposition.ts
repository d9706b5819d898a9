// Text exposition 0.0.4 exactly as vLLM serves it through Python's prometheus_client
// (`generate_latest`): counters as `name_total` followed by a `name_created` gauge family, histograms
// as buckets, `_count`, `_sum` then a `_created` family, labels sorted by name, floats in Python repr
// with Go-style exponents from 1e6 up (`floatToGoString`). Research note §1.1, §1.4, §8. Pure: it
// renders the JSON prom-client's registry gives, plus the start-up time for the `_created` samples.

export interface ExpositionValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

export interface ExpositionFamily {
  name: string;
  help: string;
  type: string;
  values: ExpositionValue[];
}

/** Python `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expPart] = x.toExponential().split('e') as [string, string];
  const exp = Number(expPart);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  if (digits.length <= intLen) return `${sign}${digits}${'0'.repeat(intLen - digits.length)}.0`;
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

/** prometheus_client `floatToGoString`. */
export function floatToGoString(x: number): string {
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (Number.isNaN(x)) return 'NaN';
  const s = pythonFloatRepr(x);
  const dot = s.indexOf('.');
  // "Go switches to exponents sooner than Python" (prometheus_client/utils.py), positive values only.
  if (x > 0 && dot > 6) {
    const mantissa = `${s[0]}.${s.slice(1, dot)}${s.slice(dot + 1)}`.replace(/[0.]+$/, '');
    return `${mantissa}e+0${dot - 1}`;
  }
  return s;
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelValue(key: string, v: string | number): string {
  if (key === 'le' || key === 'quantile') {
    if (v === '+Inf' || v === Infinity) return '+Inf';
    return floatToGoString(Number(v));
  }
  return escapeLabel(String(v));
}

function sampleLine(name: string, labels: Record<string, string | number>, value: number): string {
  const keys = Object.keys(labels).sort();
  const body = keys.map((k) => `${k}="${labelValue(k, labels[k] as string | number)}"`).join(',');
  return `${name}${keys.length ? `{${body}}` : ''} ${floatToGoString(value)}\n`;
}

function withoutLe(labels: Record<string, string | number>): string {
  return JSON.stringify(
    Object.keys(labels)
      .filter((k) => k !== 'le')
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

function createdFamily(base: string, help: string, lines: string[]): string {
  if (lines.length === 0) return '';
  return `# HELP ${base}_created ${escapeHelp(help)}\n# TYPE ${base}_created gauge\n${lines.join('')}`;
}

function renderCounter(f: ExpositionFamily, createdSeconds: number): string {
  const base = f.name.endsWith('_total') ? f.name.slice(0, -'_total'.length) : f.name;
  let out = `# HELP ${base}_total ${escapeHelp(f.help)}\n# TYPE ${base}_total counter\n`;
  const created: string[] = [];
  for (const v of f.values) {
    out += sampleLine(`${base}_total`, v.labels, v.value);
    created.push(sampleLine(`${base}_created`, v.labels, createdSeconds));
  }
  return out + createdFamily(base, f.help, created);
}

function renderHistogram(f: ExpositionFamily, createdSeconds: number): string {
  let out = `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} histogram\n`;
  // Group prom-client's per-child buckets/sum/count, then print in prometheus_client's order.
  const groups = new Map<
    string,
    { labels: Record<string, string | number>; lines: string[]; count: number; sum: number }
  >();
  for (const v of f.values) {
    const key = withoutLe(v.labels);
    let g = groups.get(key);
    if (!g) {
      const labels = { ...v.labels };
      delete labels.le;
      g = { labels, lines: [], count: 0, sum: 0 };
      groups.set(key, g);
    }
    if (v.metricName === `${f.name}_bucket`) g.lines.push(sampleLine(`${f.name}_bucket`, v.labels, v.value));
    else if (v.metricName === `${f.name}_count`) g.count = v.value;
    else if (v.metricName === `${f.name}_sum`) g.sum = v.value;
  }
  const created: string[] = [];
  for (const g of groups.values()) {
    out += g.lines.join('');
    out += sampleLine(`${f.name}_count`, g.labels, g.count);
    out += sampleLine(`${f.name}_sum`, g.labels, g.sum);
    created.push(sampleLine(`${f.name}_created`, g.labels, createdSeconds));
  }
  return out + createdFamily(f.name, f.help, created);
}

function renderGauge(f: ExpositionFamily): string {
  let out = `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} gauge\n`;
  for (const v of f.values) out += sampleLine(f.name, v.labels, v.value);
  return out;
}

export function renderPythonExposition(
  families: readonly ExpositionFamily[],
  createdSeconds: number,
): string {
  let out = '';
  for (const f of families) {
    if (f.type === 'counter') out += renderCounter(f, createdSeconds);
    else if (f.type === 'histogram') out += renderHistogram(f, createdSeconds);
    else out += renderGauge(f);
  }
  return out;
}

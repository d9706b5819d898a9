// One Prometheus histogram series kept as plain numbers. prom-client's Histogram validates and hashes
// the label set on every observe(), twenty-odd times per request in a pod (bench/, issue #8). This one
// registers in a prom-client Registry like any metric and answers get() / getForPromString() with the
// values prom-client's Histogram gives (node_modules/prom-client/lib/histogram.js, v15), so
// registry.metrics() and ./exposition.ts print the same text as before.
import type { Histogram, Registry } from 'prom-client';

type Labels = Record<string, string>;

interface Sample {
  /** `le` for buckets, none for _sum and _count. */
  labels: { le: number | '+Inf' } | Record<string, never>;
  value: number;
  metricName: string;
  /** buckets only, as prom-client (no exemplars here) */
  exemplar?: null;
}

interface Value {
  labels: Record<string, string | number>;
  sharedLabels?: Labels;
  value: number;
  metricName: string;
  exemplar?: null;
}

interface Family {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: Value[];
}

export class SeriesHistogram {
  readonly name: string;
  readonly help: string;
  private readonly upperBounds: readonly number[];
  private readonly labels: Labels;
  /** Observations per bucket, not cumulative; the last slot is +Inf. */
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    name: string,
    help: string,
    upperBounds: readonly number[],
    labels: Labels,
    registry: Registry,
  ) {
    this.name = name;
    this.help = help;
    this.upperBounds = upperBounds;
    this.labels = labels;
    this.counts = new Float64Array(upperBounds.length + 1);
    // The Registry only calls name, get(), getForPromString() and reset().
    registry.registerMetric(this as unknown as Histogram);
  }

  /** prom-client's observe(): a value counts in the first bucket whose bound is ≥ it. */
  observe(value: number): void {
    let i = 0;
    while (i < this.upperBounds.length && value > (this.upperBounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }

  /** prom-client's order: cumulative buckets, +Inf, _sum, _count. */
  private samples(): Sample[] {
    const bucket = `${this.name}_bucket`;
    const out: Sample[] = [];
    let acc = 0;
    this.upperBounds.forEach((le, i) => {
      acc += this.counts[i] as number;
      out.push({ labels: { le }, value: acc, metricName: bucket, exemplar: null });
    });
    out.push(
      { labels: { le: '+Inf' }, value: this.count, metricName: bucket, exemplar: null },
      { labels: {}, value: this.sum, metricName: `${this.name}_sum` },
      { labels: {}, value: this.count, metricName: `${this.name}_count` },
    );
    return out;
  }

  private family(value: (s: Sample) => Value): Family {
    const values = this.samples().map(value);
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }

  /** What registry.metrics() renders: the series' labels as sharedLabels, after `le`. */
  getForPromString(): Family {
    return this.family((s) => ({ ...s, sharedLabels: this.labels }));
  }

  /** What registry.getMetricsAsJSON() returns: `le` first, then the series' labels. */
  get(): Family {
    return this.family((s) => ({ ...s, labels: { ...s.labels, ...this.labels } }));
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

import { Histogram, Registry } from 'prom-client';
import { SeriesHistogram } from '../../../../src/sim/vllm/series-histogram.ts';

describe('SeriesHistogram', () => {
  it("prints and reports exactly what prom-client's Histogram does after the same observations", async () => {
    const labels = { engine: '0', model_name: 'm' };
    const buckets = [0.001, 0.01, 0.1, 1, 10];
    const theirs = new Registry();
    const ours = new Registry();
    const reference = new Histogram({
      name: 'vllm:x_seconds',
      help: 'An x.',
      labelNames: ['engine', 'model_name'],
      buckets,
      registers: [theirs],
    });
    reference.zero(labels);
    const series = new SeriesHistogram('vllm:x_seconds', 'An x.', buckets, labels, ours);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    for (const v of [0, 0.001, 0.0011, 0.5, 1, 9.99, 10, 10.5, 1e6]) {
      reference.observe(labels, v);
      series.observe(v);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });
});

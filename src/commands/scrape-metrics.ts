// PLACEHOLDER until its owner writes it.
import type { CommandModule } from '../cli.ts';

export const scrapeMetricsCommand: CommandModule = {
  name: 'scrape-metrics',
  describe: '(being built)',
  flags: {},
  async run() {
    throw new Error('scrape-metrics: placeholder');
  },
};

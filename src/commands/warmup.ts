// PLACEHOLDER until its owner writes it.
import type { CommandModule } from '../cli.ts';

export const warmupCommand: CommandModule = {
  name: 'warmup',
  describe: '(being built)',
  flags: {},
  async run() {
    throw new Error('warmup: placeholder');
  },
};

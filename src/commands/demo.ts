// PLACEHOLDER until its owner writes it.
import type { CommandModule } from '../cli.ts';

export const demoCommand: CommandModule = {
  name: 'demo',
  describe: '(being built)',
  flags: {},
  async run() {
    throw new Error('demo: placeholder');
  },
};

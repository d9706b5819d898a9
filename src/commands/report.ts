// PLACEHOLDER until its owner writes it.
import type { CommandModule } from '../cli.ts';

export const reportCommand: CommandModule = {
  name: 'report',
  describe: '(being built)',
  flags: {},
  async run() {
    throw new Error('report: placeholder');
  },
};

// PLACEHOLDER until its owner writes it.
import type { CommandModule } from '../cli.ts';

export const runCommand: CommandModule = {
  name: 'run',
  describe: '(being built)',
  flags: {},
  async run() {
    throw new Error('run: placeholder');
  },
};

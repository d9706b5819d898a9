// PLACEHOLDER until its owner writes it.
import type { CommandModule } from '../cli.ts';

export const simCommand: CommandModule = {
  name: 'sim',
  describe: '(being built)',
  flags: {},
  async run() {
    throw new Error('sim: placeholder');
  },
};

// PLACEHOLDER until its owner writes it.
import type { CommandModule } from '../cli.ts';

export const triggerCommand: CommandModule = {
  name: 'trigger',
  describe: '(being built)',
  flags: {},
  async run() {
    throw new Error('trigger: placeholder');
  },
};

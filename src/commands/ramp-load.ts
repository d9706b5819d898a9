// PLACEHOLDER until its owner writes it.
import type { CommandModule } from '../cli.ts';

export const rampLoadCommand: CommandModule = {
  name: 'ramp-load',
  describe: '(being built)',
  flags: {},
  async run() {
    throw new Error('ramp-load: placeholder');
  },
};

// PLACEHOLDER until its owner writes it.
import type { CommandModule } from '../cli.ts';

export const restartPodsCommand: CommandModule = {
  name: 'restart-pods',
  describe: '(being built)',
  flags: {},
  async run() {
    throw new Error('restart-pods: placeholder');
  },
};

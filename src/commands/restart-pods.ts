// restart-pods: delete (or roll) the decode pods, wait for the same number of new Ready pods that answer
// /health, then check their prefix-cache counters read zero. Writes a restart record JSON.
import type { CommandModule } from '../cli.ts';
import { kubeFlags } from './flags.ts';
import { parseDurationMs } from '../duration.ts';

export interface RestartStepOptions {
  namespace: string;
  selector: string;
  kubeconfig?: string;
  mode: 'delete' | 'rollout';
  timeoutMs: number;
  metricsPort?: number;
  model: string;
  out?: string;
}

export const restartPodsCommand: CommandModule = {
  name: 'restart-pods',
  describe: 'restart the vLLM decode pods so caches and counters start from zero, and prove it',
  flags: {
    ...kubeFlags,
    mode: {
      type: 'string',
      choices: ['delete', 'rollout'],
      default: 'delete',
      describe: 'delete the pods, or roll their Deployment',
    },
    timeout: { type: 'string', default: '10m', describe: 'how long to wait for the new pods to be Ready' },
    'metrics-port': {
      type: 'number',
      describe: 'vLLM port for /health and /metrics (default: from the pod spec)',
    },
    model: {
      type: 'string',
      default: 'meta-llama/Llama-3.2-3B-Instruct',
      describe: 'model_name whose counters must read zero',
    },
    out: { type: 'string', describe: 'write the restart record JSON here' },
  },
  async run(args, io) {
    const { restartStep } = await import('../flow/restart-step.ts');
    await restartStep(
      {
        namespace: String(args.namespace),
        selector: String(args.selector),
        kubeconfig: args.kubeconfig as string | undefined,
        mode: args.mode as 'delete' | 'rollout',
        timeoutMs: parseDurationMs(String(args.timeout), '--timeout'),
        metricsPort: args['metrics-port'] as number | undefined,
        model: String(args.model),
        out: args.out as string | undefined,
      },
      io,
    );
    return 0;
  },
};

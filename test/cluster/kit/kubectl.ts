// Runs kubectl (or any program) and collects what it said. Never throws: a program that cannot start
// comes back with `error` set, so checks can say what is missing.
import { spawn } from 'node:child_process';
import type { Exec } from './checks.ts';

export interface Runner {
  /** argv before the command's own arguments: the binary, --kubeconfig, --context */
  readonly prefix: readonly string[];
  run(args: readonly string[], opts?: { timeoutMs?: number; env?: Record<string, string> }): Promise<Exec>;
}

export function kubectlRunner(o: { kubectl: string; kubeconfig?: string; context?: string }): Runner {
  const prefix = [
    o.kubectl,
    ...(o.kubeconfig ? [`--kubeconfig=${o.kubeconfig}`] : []),
    ...(o.context ? [`--context=${o.context}`] : []),
  ];
  return {
    prefix,
    run: (args, opts = {}) => execute([...prefix, ...args], opts.timeoutMs ?? 120_000),
  };
}

export function execute(argv: readonly string[], timeoutMs: number): Promise<Exec> {
  const [file = '', ...args] = argv;
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      stderr += `\n(stopped after ${Math.round(timeoutMs / 1000)}s)`;
      child.kill('SIGTERM');
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr, error: e.code === 'ENOENT' ? 'not found' : e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

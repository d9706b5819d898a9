// The warm-up state file (`<out>.sessions.json`): session histories, conversation counters and session
// tokens, so `ramp-load --warmup-state FILE` continues the conversations warm-up started.
import { readFileSync, writeFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { fileProblem } from '../files.ts';

/** 10 000 sessions with long histories stay far below this. */
const MAX_STATE_BYTES = 1024 * 1024 * 1024;
import type { WorkloadShape } from '../workload/sessions.ts';
import type { WarmupState } from './options.ts';

export function writeWarmupState(path: string, state: WarmupState): void {
  writeFileSync(path, `${JSON.stringify(state)}\n`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export function readWarmupState(path: string): WarmupState {
  let parsed: unknown;
  const problem = fileProblem(path, MAX_STATE_BYTES);
  if (problem && problem !== 'ENOENT')
    throw new UsageError(`--warmup-state ${path}: ${problem} (pass the <out>.sessions.json warmup wrote)`);
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(
      `--warmup-state ${path}: ${(err as Error).message.split('\n')[0]} (pass the <out>.sessions.json warmup wrote)`,
    );
  }
  const ok =
    isObject(parsed) &&
    parsed.version === 1 &&
    typeof parsed.runId === 'string' &&
    typeof parsed.dateString === 'string' &&
    isObject(parsed.shape) &&
    Array.isArray(parsed.sessions) &&
    parsed.sessions.every(
      (s: unknown) =>
        isObject(s) &&
        Number.isInteger(s.index) &&
        Number.isInteger(s.conversation) &&
        Array.isArray(s.messages),
    );
  if (!ok)
    throw new UsageError(
      `--warmup-state ${path} is not a warm-up state file (pass the <out>.sessions.json warmup wrote)`,
    );
  return parsed as unknown as WarmupState;
}

const SHAPE_FLAGS: Array<[keyof WorkloadShape, string]> = [
  ['seed', '--seed'],
  ['turns', '--turns'],
  ['systemPromptTokens', '--system-prompt-tokens'],
  ['userTokens', '--user-tokens'],
  ['sessions', '--sessions'],
];

/** Warm-up and the measured loop must run the same workload, or the conversations would not continue. */
export function checkWarmupState(
  state: WarmupState,
  run: { shape: WorkloadShape; model: string; tokenizer: string },
): void {
  for (const [key, flag] of SHAPE_FLAGS) {
    if (state.shape[key] !== run.shape[key]) {
      throw new UsageError(
        `--warmup-state was written with ${flag} ${state.shape[key]}, this run has ${flag} ${run.shape[key]} (use the warm-up's workload flags)`,
      );
    }
  }
  if (state.model !== run.model) {
    throw new UsageError(
      `--warmup-state was written for --model ${state.model}, this run has --model ${run.model}`,
    );
  }
  if (state.tokenizer !== run.tokenizer) {
    throw new UsageError(
      `--warmup-state was written with --tokenizer ${state.tokenizer}, this run has --tokenizer ${run.tokenizer}`,
    );
  }
}

// Typed errors with one exit site (STYLE.md): only src/cli.ts turns them into an exit code.

/** Bad input: unknown flag, bad value, unreadable file, nothing matched. Exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A gate failed or the run failed. Exit code 1. */
export class RunFailed extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'RunFailed';
  }
}

/** The target (gateway, Kubernetes API, metrics endpoint) could not be reached or answered badly. Exit code 1. */
export class TargetError extends Error {
  readonly exitCode = 1;
  /** HTTP status of the failed answer, when there was one (403 forbidden, 500, …). */
  readonly status: number | undefined;
  /** Worth retrying: a 5xx, a 429 or a dropped connection — not a refusal such as 401/403/404. */
  readonly transient: boolean;
  constructor(message: string, opts: { status?: number; transient?: boolean } = {}) {
    super(message);
    this.name = 'TargetError';
    this.status = opts.status;
    this.transient = opts.transient ?? false;
  }
}

/** Interrupted by SIGTERM/SIGINT (a Tekton timeout): what finished is on disk. Exit code 130+signal style. */
export class Interrupted extends Error {
  readonly exitCode = 143;
  constructor(message = 'interrupted by SIGTERM; finished requests are in the records file') {
    super(message);
    this.name = 'Interrupted';
  }
}

export function exitCodeOf(err: unknown): number {
  if (err && typeof err === 'object' && 'exitCode' in err && typeof err.exitCode === 'number')
    return err.exitCode;
  return 1;
}

// The yargs root: registers the commands, turns typed errors into one stderr line and an exit code.
// src/bin.ts is the process entry; this module stays importable by tests.
import yargs from 'yargs';
import type { Argv } from 'yargs';
import { UsageError, exitCodeOf } from './errors.ts';
import type { Io } from './io.ts';
import { commonFlags, type FlagSet } from './commands/flags.ts';
import { COMMANDS } from './commands/index.ts';

export interface CommandModule {
  name: string;
  describe: string;
  flags: FlagSet;
  /** Positional/extra validation is the command's own job; returns the exit code. */
  run(args: Record<string, unknown>, io: Io): Promise<number>;
}

/** yargs' message on one line, without the camelCase twins it lists for each unknown kebab-case flag. */
export function oneLine(msg: string): string {
  const flat = msg.replace(/\s*\n\s*/g, ' ');
  const m = /^(Unknown arguments?): (.*)$/.exec(flat);
  if (!m) return flat;
  const names = (m[2] as string).split(', ');
  const kept = names.filter(
    (n) => !(/[A-Z]/.test(n) && names.includes(n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))),
  );
  return `${kept.length === 1 ? 'Unknown argument' : 'Unknown arguments'}: ${kept.join(', ')}`;
}

function buildParser(
  argv: string[],
  onCommand: (cmd: CommandModule, args: Record<string, unknown>) => void,
): Argv {
  let parser = yargs(argv)
    .scriptName('kv-cache-bench')
    .usage('$0 <command> [flags]\n\nProves and measures KV-cache aware routing on llm-d clusters.')
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    // A repeated scalar flag takes the last value (DESIGN.md).
    .parserConfiguration({ 'duplicate-arguments-array': false, 'strip-aliased': true })
    .help()
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      // One line on stderr (DESIGN: exit codes): yargs' choices errors span several lines.
      throw err ?? new UsageError(`${oneLine(String(msg))} (see --help)`);
    });
  for (const cmd of COMMANDS) {
    parser = parser.command(
      cmd.name,
      cmd.describe,
      (y) => y.options({ ...commonFlags, ...cmd.flags }),
      (args) => onCommand(cmd, args as Record<string, unknown>),
    );
  }
  return parser;
}

/**
 * Error messages quote what the user gave; a CR/LF or an escape sequence in a flag value must not split
 * the one error line (or forge another line in a log collector), so control characters are shown escaped.
 */
export function escapeControls(message: string): string {
  // eslint-disable-next-line no-control-regex
  return message.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) =>
    c === '\n'
      ? '\\n'
      : c === '\r'
        ? '\\r'
        : c === '\t'
          ? '\\t'
          : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * `--timeout -5s` reaches yargs as the short flags -5 and -s ("Unknown arguments: 5, s"): name the flag
 * and the negative value instead. Plain negative numbers (`--sessions -5`) are values to yargs already.
 */
function negativeValue(argv: readonly string[]): UsageError | undefined {
  for (let i = 0; i + 1 < argv.length; i++) {
    const flag = argv[i] as string;
    const value = argv[i + 1] as string;
    if (/^--[a-z][-a-z]*$/.test(flag) && /^-\d/.test(value) && !/^-\d+(\.\d+)?$/.test(value))
      return new UsageError(`${flag} ${value} is negative (give a positive value, e.g. 30s)`);
  }
  return undefined;
}

export async function main(argv: string[], io: Io): Promise<number> {
  let chosen: { cmd: CommandModule; args: Record<string, unknown> } | undefined;
  const negative = negativeValue(argv);
  if (negative) {
    io.stderr.write(`kv-cache-bench: ${escapeControls(negative.message)}\n`);
    return negative.exitCode;
  }
  try {
    await buildParser(argv, (cmd, args) => {
      chosen = { cmd, args };
    }).parseAsync();
  } catch (err) {
    io.stderr.write(`kv-cache-bench: ${escapeControls((err as Error).message)}\n`);
    return exitCodeOf(err instanceof UsageError ? err : new UsageError((err as Error).message));
  }
  if (!chosen) return 0; // --help
  try {
    return await chosen.cmd.run(chosen.args, io);
  } catch (err) {
    const e = err as Error;
    const debug = chosen.args['log-level'] === 'debug' || chosen.args['log-level'] === 'trace';
    const shown = escapeControls(e.message);
    // With --log-level debug the stack follows on its own lines; the message line stays one line.
    const frames = debug ? (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)) : [];
    const stack = frames.length > 0 ? `\n${frames.join('\n')}` : '';
    io.stderr.write(`kv-cache-bench ${chosen.cmd.name}: ${shown}${stack}\n`);
    return exitCodeOf(err);
  }
}

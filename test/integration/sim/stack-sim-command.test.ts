// `kv-cache-bench sim` end to end as a user runs it: a child process, start-up lines on stdout (gateway
// last), the state file, one request through the gateway, SIGTERM → exit 0. Bad flags → exit 2.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { request } from 'undici';
import { main } from '../../../src/cli.ts';
import { startupLines } from '../../../src/commands/sim.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('kv-cache-bench sim', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sim-cmd-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the stack, writes the state file, serves a request and exits 0 on SIGTERM', async () => {
    const stateFile = path.join(dir, 'state.json');
    const child = spawn(
      process.execPath,
      [
        'src/bin.ts',
        'sim',
        '--pods',
        '2',
        '--latency',
        'zero',
        '--ready-delay-ms',
        '100',
        '--state-file',
        stateFile,
        '--log-level',
        'warn',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (/^gateway: .*\n/m.test(stdout)) resolve();
      });
      child.on('exit', (code) => reject(new Error(`sim exited ${code} before the gateway line: ${stderr}`)));
    });

    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^kubeconfig: \/\S+$/);
    expect(lines[1]).toMatch(/^kubernetes: http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines.slice(2, 4).every((l) => /^pod \S+: http:\/\/127\.0\.0\.1:\d+$/.test(l))).toBe(true);
    expect(lines[4]).toMatch(/^gateway: http:\/\/127\.0\.0\.1:\d+$/);

    const state = JSON.parse(await readFile(stateFile, 'utf8')) as {
      kubeconfig: string;
      kubernetes: string;
      pods: Record<string, string>;
      gateway: string;
    };
    expect(startupLines(state)).toEqual(lines);
    expect(await readFile(state.kubeconfig, 'utf8')).toContain(state.kubernetes);

    const res = await request(`${state.gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'meta-llama/Llama-3.2-3B-Instruct',
        messages: [{ role: 'user', content: 'Hello' }],
        max_tokens: 8,
      }),
    });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens).toBe(36);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });

  it('lists a baseline gateway before the gateway, which stays last', () => {
    const lines = startupLines({
      kubeconfig: '/k',
      kubernetes: 'http://127.0.0.1:1',
      pods: { a: 'http://127.0.0.1:2' },
      baselineGateway: 'http://127.0.0.1:3',
      gateway: 'http://127.0.0.1:4',
    });
    expect(lines).toEqual([
      'kubeconfig: /k',
      'kubernetes: http://127.0.0.1:1',
      'pod a: http://127.0.0.1:2',
      'baseline-gateway: http://127.0.0.1:3',
      'gateway: http://127.0.0.1:4',
    ]);
  });

  it.each([
    [['--baseline-policy', 'sticky'], /unknown --baseline-policy sticky/],
    [['--pods', '0'], /--pods must be an integer from 1/],
    [['--policy', 'least-loaded'], /policy/],
    [['--latency', 'slow'], /latency/],
    [['--port', '70000'], /--port must be an integer/],
    [['--namespace', 'Bad_NS'], /not a valid namespace/],
  ])('rejects %p with exit code 2 and one line on stderr', async (flags, message) => {
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await main(['sim', ...flags], {
      stdout: new PassThrough(),
      stderr,
      env: {},
      now: () => 0,
      signal: new AbortController().signal,
    });
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err.trim().split('\n')).toHaveLength(1);
  });
});

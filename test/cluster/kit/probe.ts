// Asking the gateway GET /v1/models with the Host header the Tasks send: from this machine when the URL
// resolves here, or from a short-lived pod in the namespace (where the Tasks will run: same DNS, same
// network policies, and it proves the kv-cache-bench image can be pulled there).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ProbeResult } from './checks.ts';

const BODY_LIMIT = 4000;

export function probeFromHere(baseUrl: string, host: string, timeoutMs = 5000): Promise<ProbeResult> {
  const url = new URL(`${baseUrl.replace(/\/$/, '')}/v1/models`);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', headers: { host }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body = (body + d).slice(0, BODY_LIMIT)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)));
    req.on('error', (e) => resolve({ error: e.message }));
    req.end();
  });
}

/**
 * The probe pod's program (`node -e`, CommonJS): one GET, one line out: `HTTP <status> <body>` or
 * `ERROR <message>`. The URL and host arrive as arguments, never inside the program text.
 */
export const POD_PROBE_SCRIPT = [
  'const [u, h] = process.argv.slice(1);',
  "const m = u.startsWith('https:') ? require('https') : require('http');",
  "const r = m.get(u.replace(/\\/$/, '') + '/v1/models', { headers: { host: h }, timeout: 5000 }, (res) => {",
  "let b = ''; res.setEncoding('utf8'); res.on('data', (d) => (b += d));",
  "res.on('end', () => console.log('HTTP ' + res.statusCode + ' ' + b.slice(0, 4000)));",
  '});',
  "r.on('timeout', () => r.destroy(new Error('no answer within 5s')));",
  "r.on('error', (e) => console.log('ERROR ' + e.message));",
].join(' ');

/** kubectl arguments that run the probe once in a restricted, out-of-mesh pod and remove it. */
export function podProbeArgs(o: {
  namespace: string;
  podName: string;
  image: string;
  gatewayUrl: string;
  hostHeader: string;
  runLabel: string;
}): string[] {
  // Pod Security "restricted" and OpenShift restricted-v2 both accept this; the Tasks run the same way.
  const overrides = {
    apiVersion: 'v1',
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: o.podName,
          image: o.image,
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
  return [
    'run',
    o.podName,
    '-n',
    o.namespace,
    '--rm',
    '-i',
    '--quiet',
    '--restart=Never',
    '--pod-running-timeout=3m',
    `--image=${o.image}`,
    `--labels=sidecar.istio.io/inject=false,${o.runLabel}`,
    `--overrides=${JSON.stringify(overrides)}`,
    '--command',
    '--',
    'node',
    '-e',
    POD_PROBE_SCRIPT,
    o.gatewayUrl,
    o.hostHeader,
  ];
}

/** The probe pod's output line back into a result (kubectl's own noise ignored). */
export function parsePodProbe(stdout: string, stderr: string, code: number): ProbeResult {
  const line = stdout.split('\n').find((l) => l.startsWith('HTTP ') || l.startsWith('ERROR '));
  if (line?.startsWith('ERROR ')) return { error: `${line.slice(6)} (from a pod in the namespace)` };
  const m = line ? /^HTTP (\d+) ?(.*)$/s.exec(line) : null;
  if (m) return { status: Number(m[1]), body: m[2] ?? '' };
  const why = stderr.trim().split('\n').pop() || `exit ${code}`;
  return { error: `the probe pod did not report: ${why}` };
}

// deploy/ holds the llm-d-side settings the reference demo tunes, as commented examples. They must parse,
// be objects a cluster of the stated versions accepts (kinds, API versions, scorer names), be yamllint
// clean, and agree with what kv-cache-bench assumes (selector, model, block size, metrics port).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { DEFAULT_MODEL, DEFAULT_NAMESPACE, DEFAULT_SELECTOR } from '../../../src/commands/flags.ts';
import { metricsPortOf } from '../../../src/metrics/metrics-port.ts';
import { BLOCK_SIZE_TOKENS } from '../../../src/workload/upper-bound.ts';

const ROOT = join(import.meta.dirname, '../../..');
const DEPLOY = join(ROOT, 'deploy');
const FILES = readdirSync(DEPLOY)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The API versions each kind is served at by the versions the files name (Kubernetes 1.30, Istio 1.22+). */
const API_VERSIONS: Record<string, string[]> = {
  Deployment: ['apps/v1'],
  Service: ['v1'],
  ConfigMap: ['v1'],
  DestinationRule: ['networking.istio.io/v1', 'networking.istio.io/v1beta1'],
  EnvoyFilter: ['networking.istio.io/v1alpha3'],
  PeerAuthentication: ['security.istio.io/v1', 'security.istio.io/v1beta1'],
};

/** Plugin types registered by llm-d-inference-scheduler v0.3.2 and the GIE v1.0.0 it embeds. */
const EPP_PLUGIN_TYPES = new Set([
  // gateway-api-inference-extension v1.0.0 (pkg/epp/scheduling/framework/plugins)
  'prefix-cache-scorer',
  'queue-scorer',
  'kv-cache-utilization-scorer',
  'lora-affinity-scorer',
  'max-score-picker',
  'random-picker',
  'weighted-random-picker',
  'single-profile-handler',
  // llm-d-inference-scheduler v0.3.2 (pkg/plugins/register.go)
  'by-label',
  'by-label-selector',
  'decode-filter',
  'prefill-filter',
  'prefill-header-handler',
  'pd-profile-handler',
  'precise-prefix-cache-scorer',
  'load-aware-scorer',
  'session-affinity-scorer',
  'active-request-scorer',
]);
const PICKERS = new Set(['max-score-picker', 'random-picker', 'weighted-random-picker']);
const FILTERS = new Set(['decode-filter', 'prefill-filter', 'by-label', 'by-label-selector']);

function load(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8'));
  for (const d of docs) {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]?.message}`);
    if (d.warnings.length > 0) throw new Error(`${file}: ${d.warnings[0]?.message}`);
  }
  return docs.map((d) => d.toJS() as Obj);
}

function eppConfigs(): { file: string; config: Obj }[] {
  return FILES.flatMap((file) =>
    load(file)
      .filter((o) => o.kind === 'ConfigMap')
      .flatMap((cm) => Object.values(cm.data as Record<string, string>))
      .map((text) => ({ file, config: parseYaml(text) as Obj }))
      .filter(({ config }) => config?.kind === 'EndpointPickerConfig'),
  );
}

function decodeDeployment(): Obj {
  const d = load('vllm-decode-deployment.yaml')[0];
  if (!d) throw new Error('deploy/vllm-decode-deployment.yaml is empty');
  return d;
}

describe('deploy/ examples', () => {
  it('has the files the README lists, and the README lists every file', () => {
    const readme = readFileSync(join(DEPLOY, 'README.md'), 'utf8');
    const linked = [...readme.matchAll(/\]\(([\w.-]+\.yaml)\)/g)].map((m) => m[1]);
    expect([...new Set(linked)].sort()).toEqual(FILES);
  });

  it.each(FILES)('%s parses, names its versions, and holds plausible Kubernetes objects', (file) => {
    const text = readFileSync(join(DEPLOY, file), 'utf8');
    expect(text).toMatch(/^# Written for: .*\d/m);
    expect(text).toContain(`deploy/${file}`); // the apply command in the header names the file itself
    const objects = load(file);
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      expect(API_VERSIONS[o.kind as string]).toContain(o.apiVersion);
      expect(o.metadata?.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      expect(o.metadata?.namespace).toBe(DEFAULT_NAMESPACE);
    }
  });

  it('is yamllint clean with the repository config, warnings included', () => {
    if (!existsSync('/usr/bin/yamllint'))
      throw new Error(
        'yamllint is missing: npm test installs it as root, else run apt-get install -y yamllint',
      );
    // Throws with yamllint's report when it finds anything.
    execFileSync('yamllint', ['--strict', '-f', 'parsable', '-c', join(ROOT, '.yamllint.yaml'), DEPLOY], {
      encoding: 'utf8',
    });
  });

  it('runs vLLM decode pods the way kv-cache-bench finds, scrapes and bounds them', () => {
    const d = decodeDeployment();
    const [key, value] = DEFAULT_SELECTOR.split('=');
    expect(d.spec.selector.matchLabels[key as string]).toBe(value);
    expect(d.spec.template.metadata.labels[key as string]).toBe(value);
    const vllm = (d.spec.template.spec.containers as Obj[]).find((c) => c.name === 'vllm') as Obj;
    const args = vllm.args as string[];
    const flag = (name: string) => args.find((a) => a === name || a.startsWith(`${name}=`))?.split('=')[1];
    expect(args).toContain('--enable-prefix-caching');
    expect(args).toContain('--enable-prompt-tokens-details');
    expect(Number(flag('--block-size'))).toBe(BLOCK_SIZE_TOKENS);
    expect(flag('--served-model-name')).toBe(DEFAULT_MODEL);
    expect(['builtin', 'sha256', 'sha256_cbor_64bit', 'sha256_cbor']).toContain(
      flag('--prefix-caching-hash-algo'),
    );
    // scrape-metrics --via pod-ip must pick vLLM's own port from the pod spec.
    expect(metricsPortOf(vllm.ports)).toBe(Number(flag('--port')));
    expect(vllm.readinessProbe.httpGet.path).toBe('/health');
  });

  it.each(eppConfigs().map((e) => [e.file, e.config] as const))(
    '%s: the EndpointPickerConfig uses registered plugins, each reference declared, one filter and one picker',
    (_file, config) => {
      expect(config.apiVersion).toBe('inference.networking.x-k8s.io/v1alpha1');
      const declared = new Map<string, string>();
      for (const p of config.plugins as Obj[]) {
        expect(EPP_PLUGIN_TYPES).toContain(p.type);
        declared.set((p.name ?? p.type) as string, p.type as string);
      }
      for (const profile of config.schedulingProfiles as Obj[]) {
        const refs = (profile.plugins as Obj[]).map((r) => r.pluginRef as string);
        for (const ref of refs) expect(declared.has(ref)).toBe(true);
        const types = refs.map((r) => declared.get(r) as string);
        expect(types.filter((t) => PICKERS.has(t))).toHaveLength(1);
        expect(types.filter((t) => t === 'decode-filter')).toHaveLength(1);
        for (const r of profile.plugins as Obj[]) {
          const t = declared.get(r.pluginRef as string) as string;
          if (PICKERS.has(t) || FILTERS.has(t)) expect(r.weight).toBeUndefined();
          else expect(r.weight).toBeGreaterThan(0);
        }
        // Load scorers next to the prefix scorer: without them a shared system prompt makes a hot spot.
        expect(types).toEqual(
          expect.arrayContaining(['prefix-cache-scorer', 'queue-scorer', 'kv-cache-utilization-scorer']),
        );
      }
    },
  );

  it('weighs the session-affinity scorer above all other scorers together, as its comment says', () => {
    const withAffinity = eppConfigs().filter(({ config }) =>
      (config.plugins as Obj[]).some((p) => p.type === 'session-affinity-scorer'),
    );
    expect(withAffinity).toHaveLength(1);
    const refs = (withAffinity[0]?.config.schedulingProfiles[0].plugins ?? []) as Obj[];
    const affinity = refs.find((r) => r.pluginRef === 'session-affinity-scorer')?.weight as number;
    const others = refs
      .filter((r) => r.pluginRef !== 'session-affinity-scorer')
      .reduce((s, r) => s + ((r.weight as number) ?? 0), 0);
    expect(affinity).toBeGreaterThan(others);
  });

  it('keeps ClientIP affinity timeouts in the range the Service API accepts', () => {
    const svc = load('service-client-ip-affinity.yaml')[0] as Obj;
    expect(svc.spec.sessionAffinity).toBe('ClientIP');
    const timeout = svc.spec.sessionAffinityConfig.clientIP.timeoutSeconds as number;
    expect(timeout).toBeGreaterThan(0);
    expect(timeout).toBeLessThanOrEqual(86400);
    // The Service must select the same decode pods the Deployment runs.
    expect(svc.spec.selector).toEqual({
      [DEFAULT_SELECTOR.split('=')[0] as string]: DEFAULT_SELECTOR.split('=')[1],
    });
  });

  it('names the serving pod in the header the README passes to --served-by-header', () => {
    const filter = load('envoyfilter-served-by-header.yaml')[0] as Obj;
    const header = filter.spec.configPatches[0].patch.value.response_headers_to_add[0].header;
    expect(header.value).toBe('%UPSTREAM_REMOTE_ADDRESS%');
    expect(readFileSync(join(DEPLOY, 'README.md'), 'utf8')).toContain(`--served-by-header ${header.key}`);
  });

  it('opens plaintext only on the vLLM port of the decode pods', () => {
    const pa = load('peerauthentication-metrics-permissive.yaml')[0] as Obj;
    const port = Number(Object.keys(pa.spec.portLevelMtls)[0]);
    const vllm = (decodeDeployment().spec.template.spec.containers as Obj[])[0] as Obj;
    expect(port).toBe(metricsPortOf(vllm.ports));
    expect(pa.spec.mtls.mode).toBe('STRICT');
    expect(decodeDeployment().spec.template.metadata.labels).toEqual(
      expect.objectContaining(pa.spec.selector.matchLabels),
    );
  });
});

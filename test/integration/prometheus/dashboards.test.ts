// dashboards/ as users import it: the Grafana JSON's shape (one ${DS_PROMETHEUS} input, no panel left on
// another datasource, every variable defined), the README naming every metric the queries read, and the
// PrometheusRule's alerts checked by promtool (Debian's `prometheus` package) on synthetic series:
// `promtool check rules` for the syntax, `promtool test rules` for when each alert fires.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { PROMTOOL_BIN, requireBinary } from '../../helpers/prometheus.ts';
import { dashboardExprs, ruleExprs } from './dashboard-exprs.ts';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../..');
const read = (f: string): string => readFileSync(join(ROOT, 'dashboards', f), 'utf8');

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
}
interface Dashboard {
  schemaVersion: number;
  uid: string;
  __inputs: { name: string; pluginId: string }[];
  panels: Panel[];
  templating: { list: { name: string; datasource?: { uid: string } }[] };
}
interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  annotations?: Record<string, string>;
}
interface RuleDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: { groups: { name: string; rules: Rule[] }[] };
}

const dashboard = JSON.parse(read('kv-cache-bench.json')) as Dashboard;
const ruleDoc = parse(read('prometheus-rule.yaml')) as RuleDoc;
const rules = ruleDoc.spec.groups.flatMap((g) => g.rules);
const alert = (name: string): Rule => {
  const r = rules.find((x) => x.alert === name);
  if (!r) throw new Error(`prometheus-rule.yaml has no alert ${name}`);
  return r;
};

describe('the Grafana dashboard', () => {
  it('imports with one Prometheus datasource input that every panel, query and variable uses', () => {
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.__inputs).toEqual([
      expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' }),
    ]);
    const users = [
      ...dashboard.panels
        .filter((p) => p.type !== 'row')
        .flatMap((p) => [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]),
      ...dashboard.templating.list.map((v) => v.datasource),
    ];
    expect(users.length).toBeGreaterThan(10);
    for (const ds of users) expect(ds?.uid).toBe('${DS_PROMETHEUS}');
  });

  it('gives panels unique ids and refIds, places them on the 24-column grid without overlap', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const owner = new Map<string, string>();
    const overlaps: string[] = [];
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          const other = owner.get(`${x},${y}`);
          if (other) overlaps.push(`${p.title} overlaps ${other} at ${x},${y}`);
          owner.set(`${x},${y}`, p.title);
        }
    }
    expect(overlaps).toEqual([]);
  });

  it('defines every template variable its queries use', () => {
    const defined = new Set(dashboard.templating.list.map((v) => v.name));
    for (const { expr } of dashboardExprs(dashboard))
      for (const m of expr.matchAll(/\$\{?(\w+)/g))
        if (!m[1]!.startsWith('__'))
          expect({ expr, variable: m[1], defined: defined.has(m[1]!) }).toMatchObject({ defined: true });
  });

  it('names in the README every metric the dashboard and the rule read', () => {
    const readme = read('README.md');
    const exprs = [...dashboardExprs(dashboard), ...ruleExprs(ruleDoc)].map((e) => e.expr);
    const metrics = new Set(
      exprs.flatMap((e) =>
        [...e.matchAll(/\b((?:vllm:|kv_cache_bench_|push_time_seconds)\w*)/g)].map((m) => m[1]!),
      ),
    );
    expect(metrics.size).toBeGreaterThanOrEqual(8);
    for (const m of metrics)
      expect({ metric: m, inReadme: readme.includes(m.replace(/_bucket$/, '')) }).toEqual({
        metric: m,
        inReadme: true,
      });
  });
});

describe('the PrometheusRule', () => {
  let dir: string;
  beforeAll(() => {
    requireBinary(PROMTOOL_BIN, 'prometheus');
    dir = mkdtempSync(join(tmpdir(), 'kvb-rules-'));
    // prometheus-operator hands Prometheus the spec's groups as one rule file.
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: ruleDoc.spec.groups }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is a monitoring.coreos.com/v1 PrometheusRule that promtool accepts', async () => {
    expect(ruleDoc).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule' });
    expect(alert('VllmPrefixCacheHitRateLow').for).toBe('15m');
    const { stdout } = await exec(PROMTOOL_BIN, ['check', 'rules', join(dir, 'rules.yaml')]);
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('alerts on a fleet hit rate under 0.8 only after 15 minutes, summed over pods and engines, per namespace', async () => {
    const series = (name: string, labels: string, values: string): { series: string; values: string } => ({
      series: `vllm:${name}_total{${labels}, model_name="m"}`,
      values,
    });
    const low = 'namespace="llm-d"';
    const ok = 'namespace="other"';
    // llm-d: pod a engine 0 hits 400 of 1000 tokens a minute, pod b engine 1 hits 900 of 1000: 65 %.
    // other: 950 of 1000: 95 %, never alerts.
    const tests = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            series('prefix_cache_queries', `${low}, pod="a", engine="0"`, '0+1000x40'),
            series('prefix_cache_hits', `${low}, pod="a", engine="0"`, '0+400x40'),
            series('prefix_cache_queries', `${low}, pod="b", engine="1"`, '0+1000x40'),
            series('prefix_cache_hits', `${low}, pod="b", engine="1"`, '0+900x40'),
            series('prefix_cache_queries', `${ok}, pod="c", engine="0"`, '0+1000x40'),
            series('prefix_cache_hits', `${ok}, pod="c", engine="0"`, '0+950x40'),
          ],
          promql_expr_test: [
            {
              expr: 'namespace_model:vllm_prefix_cache_hit_rate:ratio_rate5m',
              eval_time: '10m',
              exp_samples: [
                {
                  labels:
                    'namespace_model:vllm_prefix_cache_hit_rate:ratio_rate5m{namespace="llm-d", model_name="m"}',
                  value: 0.65,
                },
                {
                  labels:
                    'namespace_model:vllm_prefix_cache_hit_rate:ratio_rate5m{namespace="other", model_name="m"}',
                  value: 0.95,
                },
              ],
            },
          ],
          alert_rule_test: [
            { eval_time: '12m', alertname: 'VllmPrefixCacheHitRateLow', exp_alerts: [] },
            {
              eval_time: '25m',
              alertname: 'VllmPrefixCacheHitRateLow',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', namespace: 'llm-d', model_name: 'm' },
                  exp_annotations: annotations(
                    alert('VllmPrefixCacheHitRateLow'),
                    { namespace: 'llm-d', model_name: 'm' },
                    '65%',
                  ),
                },
              ],
            },
          ],
        },
      ],
    };
    await promtoolTest(tests);
  });

  it('alerts while the most recently pushed run has verdict FAIL, whatever older runs say', async () => {
    const run = (id: string, pushedAt: string, verdict: string): { series: string; values: string }[] => [
      { series: `push_time_seconds{job="kv-cache-bench", run_id="${id}"}`, values: pushedAt },
      { series: `kv_cache_bench_verdict{job="kv-cache-bench", run_id="${id}"}`, values: verdict },
    ];
    // r1 passed at t=0; r2 failed, pushed at 10m; r3 passed, pushed at 20m. `_` = not pushed yet.
    const tests = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            ...run('r1', '0x30', '1x30'),
            ...run('r2', '_x9 600x20', '_x9 0x20'),
            ...run('r3', '_x19 1200x10', '_x19 1x10'),
          ],
          alert_rule_test: [
            { eval_time: '5m', alertname: 'KvCacheBenchRunFailed', exp_alerts: [] },
            {
              eval_time: '15m',
              alertname: 'KvCacheBenchRunFailed',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', run_id: 'r2' },
                  exp_annotations: annotations(alert('KvCacheBenchRunFailed'), { run_id: 'r2' }, '0'),
                },
              ],
            },
            { eval_time: '25m', alertname: 'KvCacheBenchRunFailed', exp_alerts: [] },
          ],
        },
      ],
    };
    await promtoolTest(tests);
  });

  /** The rule's annotations with its templates filled in, as promtool compares them. */
  function annotations(
    rule: Rule,
    labels: Record<string, string>,
    humanValue: string,
  ): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(rule.annotations ?? {}))
      out[k] = v
        .replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, l: string) => labels[l] ?? '')
        .replace(/\{\{ \$value \| humanizePercentage \}\}/g, humanValue);
    return out;
  }

  async function promtoolTest(tests: unknown): Promise<void> {
    const file = join(dir, 'tests.yaml');
    writeFileSync(file, stringify(tests));
    // promtool prints every failed expectation; exit 1 rejects with them in the message.
    const r = await exec(PROMTOOL_BIN, ['test', 'rules', file], { cwd: dir }).catch(
      (e: { stdout: string; stderr: string }) => ({ stdout: e.stdout, stderr: e.stderr, failed: true }),
    );
    if ('failed' in r) throw new Error(`promtool test rules failed:\n${r.stdout}${r.stderr}`);
    expect(r.stdout).toContain('SUCCESS');
  }
});

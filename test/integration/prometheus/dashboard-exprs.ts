// The PromQL held by dashboards/: every panel target's `expr` in the Grafana JSON and every rule's `expr` in
// the PrometheusRule, and Grafana's variable substitution so a plain Prometheus can evaluate them.

interface GrafanaPanel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: GrafanaPanel[];
}

export function dashboardExprs(dashboard: unknown): { panel: string; expr: string }[] {
  const out: { panel: string; expr: string }[] = [];
  const walk = (panels: GrafanaPanel[] | undefined): void => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ panel: p.title ?? '(untitled)', expr: t.expr });
      walk(p.panels); // collapsed rows nest their panels
    }
  };
  walk((dashboard as { panels?: GrafanaPanel[] }).panels);
  return out;
}

export function ruleExprs(rule: unknown): { name: string; expr: string }[] {
  const groups = (
    rule as { spec: { groups: { rules: { alert?: string; record?: string; expr: string }[] }[] } }
  ).spec.groups;
  return groups.flatMap((g) =>
    g.rules.map((r) => ({ name: r.alert ?? r.record ?? '(unnamed)', expr: r.expr })),
  );
}

/**
 * Grafana's substitution for the variables our queries use: `$__rate_interval` (4 scrape intervals at
 * least; 1m covers the test's data) and the dashboard's own template variables, `$name` or `${name}`.
 * Throws on any variable left, so a new one cannot slip past the test unevaluated.
 */
export function substituteVariables(expr: string, vars: Record<string, string>): string {
  const builtins: Record<string, string> = { __rate_interval: '1m', __interval: '15s', __range: '1h' };
  const all = { ...builtins, ...vars };
  const out = expr.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (whole, braced: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? '';
      const value = all[name];
      if (value === undefined) throw new Error(`${expr}: no value for the variable ${whole}`);
      return value;
    },
  );
  return out;
}

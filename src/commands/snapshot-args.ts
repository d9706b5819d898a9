// The scrape flags (kubeFlags + scrapeFlags) turned into takeSnapshot options; shared by every command
// that scrapes (scrape-metrics, ramp-load --scrape-every, run, demo).
import { UsageError } from '../errors.ts';
import type { TakeSnapshotOptions } from '../metrics/take-snapshot.ts';
import type { ScrapeVia } from '../types.ts';

export function parseSnapshotArgs(
  args: Record<string, unknown>,
  model: string,
): Omit<TakeSnapshotOptions, 'label'> {
  const via = String(args.via ?? 'pod-ip') as ScrapeVia;
  const urls =
    typeof args.urls === 'string'
      ? args.urls
          .split(',')
          .map((u) => u.trim())
          .filter(Boolean)
      : undefined;
  if (urls && via !== 'urls') throw new UsageError(`--urls is only read with --via urls (got --via ${via})`);
  if (via === 'urls' && !urls?.length)
    throw new UsageError('--via urls needs --urls http://host:port/metrics,… (comma-separated)');
  if (via === 'prometheus' && args['prometheus-url'] === undefined) {
    throw new UsageError(
      '--via prometheus needs --prometheus-url (e.g. https://thanos-querier.openshift-monitoring.svc:9091)',
    );
  }
  const port = args['metrics-port'];
  if (
    port !== undefined &&
    !(typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536)
  ) {
    throw new UsageError(`--metrics-port ${String(port)} is not a port number (1-65535)`);
  }
  return {
    via,
    namespace: String(args.namespace ?? 'llm-d'),
    selector: String(args.selector ?? 'llm-d.ai/role=decode'),
    ...(args.kubeconfig !== undefined ? { kubeconfig: String(args.kubeconfig) } : {}),
    ...(urls ? { urls } : {}),
    ...(typeof port === 'number' ? { metricsPort: port } : {}),
    ...(args['prometheus-url'] !== undefined ? { prometheusUrl: String(args['prometheus-url']) } : {}),
    ...(args['token-file'] !== undefined ? { tokenFile: String(args['token-file']) } : {}),
    model,
  };
}

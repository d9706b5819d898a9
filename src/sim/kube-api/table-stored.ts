// Table columns and cells of the kinds kept as sent (objects.ts), as `kubectl get` shows them on a cluster:
// built-in kinds as pkg/printers/internalversion/printers.go prints them, Tekton's CRDs from their
// additionalPrinterColumns (config/300-crds of tektoncd/pipeline v1.15), where a `date` column reads as an
// age and a missing value is an empty cell (apiextensions-apiserver tableconvertor).
import type { KubeObject } from './store.ts';

export interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export const col = (
  name: string,
  description: string,
  priority = 0,
  type = 'string',
  format = '',
): Column => ({
  name,
  type,
  format,
  description,
  priority,
});

export const NAME = col('Name', 'Name must be unique within a namespace.', 0, 'string', 'name');
export const AGE = col(
  'Age',
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
);
const CREATED_AT = col(
  'Created At',
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
  0,
  'date',
);
const BINDING = [
  NAME,
  col('Role', 'Role references the role used in the binding.'),
  AGE,
  col('Users', 'Users in the binding.', 1),
  col('Groups', 'Groups in the binding.', 1),
  col('ServiceAccounts', 'ServiceAccounts in the binding.', 1),
];
// The same four columns on PipelineRun and TaskRun.
const RUN = [
  NAME,
  col('Succeeded', '', 0),
  col('Reason', '', 0),
  col('StartTime', '', 0, 'date'),
  col('CompletionTime', '', 0, 'date'),
];

export const STORED_COLUMNS = {
  serviceaccounts: [
    NAME,
    col(
      'Secrets',
      'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      0,
      'integer',
    ),
    AGE,
  ],
  configmaps: [NAME, col('Data', 'Data contains the configuration data.', 0, 'integer'), AGE],
  secrets: [
    NAME,
    col('Type', 'The type of the secret'),
    col('Data', 'The number of keys in the secret.', 0, 'integer'),
    AGE,
  ],
  services: [
    NAME,
    col('Type', 'The type of the service.'),
    col('Cluster-IP', 'The cluster IP of the service.'),
    col('External-IP', 'The external IP of the service.'),
    col('Port(s)', 'The ports of the service.'),
    AGE,
    col('Selector', 'The selector of the service.', 1),
  ],
  roles: [NAME, CREATED_AT],
  clusterroles: [NAME, CREATED_AT],
  rolebindings: BINDING,
  clusterrolebindings: BINDING,
  tasks: [NAME, AGE],
  pipelines: [NAME, AGE],
  pipelineruns: RUN,
  taskruns: RUN,
} as const satisfies Record<string, readonly Column[]>;

export type StoredTableResource = keyof typeof STORED_COLUMNS;

type Subject = { kind: string; name: string; namespace?: string };

function subjects(obj: KubeObject, kind: string): string {
  const list = ((obj.subjects as Subject[] | undefined) ?? []).filter((s) => s.kind === kind);
  return list.map((s) => (s.namespace ? `${s.namespace}/${s.name}` : s.name)).join(', ');
}

function servicePorts(spec: { ports?: { port: number; nodePort?: number; protocol?: string }[] }): string {
  const ports = spec.ports ?? [];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

function succeeded(obj: KubeObject): { status?: string; reason?: string } {
  const conditions = (obj.status as { conditions?: { type: string; status?: string; reason?: string }[] })
    ?.conditions;
  return conditions?.find((c) => c.type === 'Succeeded') ?? {};
}

export function storedCells(
  resource: StoredTableResource,
  obj: KubeObject,
  age: (timestamp: string | undefined) => string,
): unknown[] {
  const name = obj.metadata.name;
  const created = age(obj.metadata.creationTimestamp);
  const count = (m: unknown): number => Object.keys((m as Record<string, unknown> | undefined) ?? {}).length;
  switch (resource) {
    case 'serviceaccounts':
      return [name, ((obj.secrets as unknown[] | undefined) ?? []).length, created];
    case 'configmaps':
      return [name, count(obj.data) + count(obj.binaryData), created];
    case 'secrets':
      return [name, String(obj.type ?? 'Opaque'), count(obj.data), created];
    case 'services': {
      const spec = (obj.spec ?? {}) as {
        type?: string;
        clusterIP?: string;
        externalIPs?: string[];
        selector?: Record<string, string>;
        ports?: { port: number; nodePort?: number; protocol?: string }[];
      };
      const selector = Object.entries(spec.selector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return [
        name,
        spec.type ?? 'ClusterIP',
        spec.clusterIP || '<none>',
        spec.externalIPs?.join(',') || '<none>',
        servicePorts(spec),
        created,
        selector || '<none>',
      ];
    }
    case 'roles':
    case 'clusterroles':
      return [name, obj.metadata.creationTimestamp];
    case 'rolebindings':
    case 'clusterrolebindings': {
      const ref = obj.roleRef as { kind?: string; name?: string } | undefined;
      return [
        name,
        `${ref?.kind ?? ''}/${ref?.name ?? ''}`,
        created,
        subjects(obj, 'User'),
        subjects(obj, 'Group'),
        subjects(obj, 'ServiceAccount'),
      ];
    }
    case 'tasks':
    case 'pipelines':
      return [name, created];
    case 'pipelineruns':
    case 'taskruns': {
      const c = succeeded(obj);
      const status = (obj.status ?? {}) as { startTime?: string; completionTime?: string };
      return [
        name,
        c.status ?? null,
        c.reason ?? null,
        status.startTime ? age(status.startTime) : null,
        status.completionTime ? age(status.completionTime) : null,
      ];
    }
  }
}

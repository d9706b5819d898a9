// What the embedded API serves and how clients discover it: /version, legacy discovery (/api, /apis,
// /api/v1, /apis/<group>/<version>), aggregated discovery v2 (two requests instead of 2+N; kubectl asks for
// it first) and the minimal OpenAPI v3 that lets `kubectl create -f` validate server-side (research §2, §3, §7.3).
import type { ResourceName } from './store.ts';
import { POD_FIELDS } from './pod-object.ts';

export interface ResourceInfo {
  resource: ResourceName;
  group: string;
  version: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  /** group/version of the subresource's kind when it differs (Scale is autoscaling/v1) */
  subresources?: { name: string; kind: string; verbs: string[]; group?: string; version?: string }[];
  /** fields a fieldSelector may name */
  fields: string[];
  /** `kubectl get <category>` lists every resource of it (Tekton's CRDs are in `tekton`) */
  categories?: string[];
  /** stored as sent and served by objects.ts (create, update, patch, delete with garbage collection) */
  stored?: boolean;
  /** a status subresource: create and update of the main resource leave status alone (CRDs opt in) */
  statusSubresource?: boolean;
}

const META_FIELDS = ['metadata.name', 'metadata.namespace'];
const STORED_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const TEKTON_CATEGORIES = ['tekton', 'tekton-pipelines'];

/** A resource kept as sent: what `kubectl apply -k .` installs and what Tekton's controller writes. */
function stored(
  group: string,
  resource: ResourceName,
  kind: string,
  namespaced: boolean,
  extra: Partial<ResourceInfo> = {},
): ResourceInfo {
  const version = 'v1';
  const singular = kind.toLowerCase();
  return {
    resource,
    group,
    version,
    kind,
    singular,
    namespaced,
    verbs: STORED_VERBS,
    fields: META_FIELDS,
    stored: true,
    ...extra,
  };
}

/** Tekton's CRDs (config/300-crds of tektoncd/pipeline v1.15): short names, categories, status subresource. */
const tekton = (resource: ResourceName, kind: string, shortNames?: string[]): ResourceInfo =>
  stored('tekton.dev', resource, kind, true, {
    categories: TEKTON_CATEGORIES,
    statusSubresource: true,
    ...(shortNames ? { shortNames } : {}),
  });

export const RESOURCES: readonly ResourceInfo[] = [
  {
    resource: 'namespaces',
    group: '',
    version: 'v1',
    kind: 'Namespace',
    singular: 'namespace',
    namespaced: false,
    verbs: ['get', 'list', 'watch'],
    shortNames: ['ns'],
    fields: ['metadata.name', 'status.phase'],
  },
  {
    resource: 'pods',
    group: '',
    version: 'v1',
    kind: 'Pod',
    singular: 'pod',
    namespaced: true,
    verbs: ['delete', 'get', 'list', 'watch'],
    shortNames: ['po'],
    subresources: [
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'proxy', kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
    ],
    fields: POD_FIELDS,
  },
  {
    resource: 'deployments',
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    singular: 'deployment',
    namespaced: true,
    verbs: ['get', 'list', 'patch', 'watch'],
    shortNames: ['deploy'],
    subresources: [
      {
        name: 'scale',
        kind: 'Scale',
        verbs: ['get', 'patch', 'update'],
        group: 'autoscaling',
        version: 'v1',
      },
    ],
    fields: META_FIELDS,
  },
  {
    resource: 'replicasets',
    group: 'apps',
    version: 'v1',
    kind: 'ReplicaSet',
    singular: 'replicaset',
    namespaced: true,
    verbs: ['get', 'list', 'watch'],
    shortNames: ['rs'],
    fields: META_FIELDS,
  },
  // None exist; listed so the reference demo's `kubectl get statefulset -l …` answers "No resources found".
  {
    resource: 'statefulsets',
    group: 'apps',
    version: 'v1',
    kind: 'StatefulSet',
    singular: 'statefulset',
    namespaced: true,
    verbs: ['get', 'list', 'watch'],
    shortNames: ['sts'],
    fields: META_FIELDS,
  },
  stored('', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
  stored('', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  stored('', 'secrets', 'Secret', true),
  stored('', 'services', 'Service', true, { shortNames: ['svc'] }),
  stored('rbac.authorization.k8s.io', 'roles', 'Role', true),
  stored('rbac.authorization.k8s.io', 'rolebindings', 'RoleBinding', true),
  stored('rbac.authorization.k8s.io', 'clusterroles', 'ClusterRole', false),
  stored('rbac.authorization.k8s.io', 'clusterrolebindings', 'ClusterRoleBinding', false),
  tekton('tasks', 'Task'),
  tekton('pipelines', 'Pipeline'),
  tekton('pipelineruns', 'PipelineRun', ['pr', 'prs']),
  tekton('taskruns', 'TaskRun', ['tr', 'trs']),
];

/** authorization.k8s.io is served but holds no stored objects. */
const SSAR = {
  name: 'selfsubjectaccessreviews',
  singularName: 'selfsubjectaccessreview',
  namespaced: false,
  kind: 'SelfSubjectAccessReview',
  verbs: ['create'],
};

export function resourceInfo(group: string, version: string, resource: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

const GROUP_VERSIONS: readonly { group: string; version: string }[] = [
  { group: '', version: 'v1' },
  { group: 'apps', version: 'v1' },
  { group: 'authorization.k8s.io', version: 'v1' },
  { group: 'rbac.authorization.k8s.io', version: 'v1' },
  { group: 'tekton.dev', version: 'v1' },
];

export function isServedGroupVersion(group: string, version: string): boolean {
  return GROUP_VERSIONS.some((gv) => gv.group === group && gv.version === version);
}

export function versionInfo(minor: number): Record<string, string> {
  return {
    major: '1',
    minor: String(minor),
    gitVersion: `v1.${minor}.0-kv-cache-bench`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function legacyApiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export function legacyGroupList(): unknown {
  const groups = GROUP_VERSIONS.filter((gv) => gv.group !== '').map(({ group, version }) => {
    const gv = { groupVersion: `${group}/${version}`, version };
    return { name: group, versions: [gv], preferredVersion: gv };
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** APIResourceList of one group/version, subresources as `pods/proxy` entries. */
export function legacyResourceList(group: string, version: string): unknown {
  const groupVersion = group ? `${group}/${version}` : version;
  const resources: unknown[] = [];
  if (group === 'authorization.k8s.io') resources.push(SSAR);
  for (const r of RESOURCES.filter((x) => x.group === group && x.version === version)) {
    const entry: Record<string, unknown> = {
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
    };
    if (r.shortNames) entry.shortNames = r.shortNames;
    if (r.categories) entry.categories = r.categories;
    resources.push(entry);
    for (const s of r.subresources ?? [])
      resources.push({
        name: `${r.resource}/${s.name}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(s.group ? { group: s.group, version: s.version } : {}),
        kind: s.kind,
        verbs: s.verbs,
      });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

/** The aggregated-discovery version the Accept header asks for first (`v2` or `v2beta1`), if any. */
export function aggregatedVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const part of (accept ?? '').split(',')) {
    if (!/as=APIGroupDiscoveryList/.test(part) || !/g=apidiscovery\.k8s\.io/.test(part)) continue;
    const m = /;\s*v=(v2beta1|v2)\b/.exec(part);
    if (m) return m[1] as 'v2' | 'v2beta1';
  }
  return undefined;
}

/** Must be exactly this, or kubectl parses the body as legacy discovery and finds nothing (research §3.3). */
export function aggregatedContentType(v: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;
}

/** APIGroupDiscoveryList for /api (core: `legacy`) or /apis (every named group). */
export function aggregatedDiscovery(which: 'legacy' | 'groups', v: 'v2' | 'v2beta1'): unknown {
  const gvs = GROUP_VERSIONS.filter((gv) => (which === 'legacy' ? gv.group === '' : gv.group !== ''));
  const items = gvs.map(({ group, version }) => {
    const resources: unknown[] = RESOURCES.filter((r) => r.group === group && r.version === version).map(
      (r) => {
        const entry: Record<string, unknown> = {
          resource: r.resource,
          responseKind: { group, version, kind: r.kind },
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: r.singular,
          verbs: r.verbs,
        };
        if (r.shortNames) entry.shortNames = r.shortNames;
        if (r.categories) entry.categories = r.categories;
        if (r.subresources) {
          entry.subresources = r.subresources.map((s) => ({
            subresource: s.name,
            responseKind: { group: s.group ?? group, version: s.version ?? version, kind: s.kind },
            verbs: s.verbs,
          }));
        }
        return entry;
      },
    );
    if (group === 'authorization.k8s.io') {
      resources.push({
        resource: SSAR.name,
        responseKind: { group, version, kind: SSAR.kind },
        scope: 'Cluster',
        singularResource: SSAR.singularName,
        verbs: SSAR.verbs,
      });
    }
    return {
      metadata: { name: group, creationTimestamp: null },
      versions: [{ version, resources, freshness: 'Current' }],
    };
  });
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${v}`, metadata: {}, items };
}

/** GET /openapi/v3: one entry per group/version, keys without the leading slash. */
export function openApiRoot(): unknown {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of GROUP_VERSIONS) {
    const key = group ? `apis/${group}/${version}` : `api/${version}`;
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}` };
  }
  return { paths };
}

/**
 * GET /openapi/v3/<gv>: a PATCH operation per kind that lists the `fieldValidation` query parameter; kubectl
 * takes it as proof of server-side field validation and skips client-side schema checks (research §7.3).
 */
export function openApiGroupVersion(group: string, version: string, minor: number): unknown | undefined {
  if (!isServedGroupVersion(group, version)) return undefined;
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const paths: Record<string, unknown> = {};
  for (const r of RESOURCES.filter((x) => x.group === group && x.version === version)) {
    const path = r.namespaced
      ? `${prefix}/namespaces/{namespace}/${r.resource}/{name}`
      : `${prefix}/${r.resource}/{name}`;
    paths[path] = {
      patch: {
        'x-kubernetes-group-version-kind': { group, version, kind: r.kind },
        parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string' } }],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: `v1.${minor}.0-kv-cache-bench` },
    paths,
    components: { schemas: {} },
  };
}

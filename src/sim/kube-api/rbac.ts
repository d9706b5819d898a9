// Bearer-token authentication and RBAC authorization for the embedded API server's --tls mode. Rules match
// as in plugin/pkg/auth/authorizer/rbac/rbac.go (RuleAllows): apiGroups, resources (`pods/proxy`,
// `*/proxy`, `*`), verbs, resourceNames, nonResourceURLs. Every authenticated user also gets what the
// default system:discovery and system:basic-user ClusterRoles give (discovery, /version, self access
// reviews), as on a real cluster. Forbidden messages copy the apiserver's forbiddenMessage().
import { parseAllDocuments } from 'yaml';
import type { ObjectStore, ResourceName } from './store.ts';

export interface UserInfo {
  username: string;
  groups: string[];
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface RequestAttributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  apiGroup: string;
  resource: string;
  subresource: string;
  name: string;
  namespace: string;
  /** the URL path, for non-resource requests */
  path: string;
}

/** The attributes of a request for a path that names no resource (/version, /healthz, /apis …). */
export function nonResourceAttributes(user: UserInfo, verb: string, path: string): RequestAttributes {
  const none = { apiGroup: '', resource: '', subresource: '', name: '', namespace: '' };
  return { user, verb, resourceRequest: false, ...none, path };
}

interface Role {
  kind: 'Role' | 'ClusterRole';
  name: string;
  namespace?: string;
  rules: PolicyRule[];
}

interface Subject {
  kind: 'ServiceAccount' | 'User' | 'Group';
  name: string;
  namespace?: string;
}

interface Binding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  namespace?: string;
  roleRef: { kind: 'Role' | 'ClusterRole'; name: string };
  subjects: Subject[];
}

export class RbacError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RbacError';
  }
}

/** system:discovery + system:basic-user + system:public-info-viewer, bound to system:authenticated. */
const BUILTIN: Role = {
  kind: 'ClusterRole',
  name: 'system:discovery',
  rules: [
    {
      verbs: ['get'],
      nonResourceURLs: [
        '/api',
        '/api/*',
        '/apis',
        '/apis/*',
        '/openapi',
        '/openapi/*',
        '/version',
        '/version/',
        '/healthz',
        '/livez',
        '/readyz',
      ],
    },
    {
      apiGroups: ['authorization.k8s.io'],
      resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
      verbs: ['create'],
    },
  ],
};

export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}

function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some(
    (r) => r === '*' || r === combined || (subresource !== '' && r === `*/${subresource}`),
  );
}

function urlMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some(
    (u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))),
  );
}

export function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  if (!rule.verbs.includes('*') && !rule.verbs.includes(a.verb)) return false;
  if (!a.resourceRequest) return urlMatches(rule, a.path);
  if (!(rule.apiGroups ?? []).some((g) => g === '*' || g === a.apiGroup)) return false;
  if (!resourceMatches(rule, a.resource, a.subresource)) return false;
  return !rule.resourceNames?.length || (a.name !== '' && rule.resourceNames.includes(a.name));
}

/** forbiddenMessage (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go). */
export function forbiddenReason(a: RequestAttributes): string {
  if (!a.resourceRequest) return `User "${a.user.username}" cannot ${a.verb} path "${a.path}"`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `User "${a.user.username}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${scope}`;
}

function subjectMatches(s: Subject, user: UserInfo): boolean {
  if (s.kind === 'ServiceAccount')
    return user.username === `system:serviceaccount:${s.namespace ?? ''}:${s.name}`;
  if (s.kind === 'User') return user.username === s.name;
  return user.groups.includes(s.name);
}

const describeSubject = (s: Subject): string =>
  s.kind === 'ServiceAccount' ? `ServiceAccount "${s.name}/${s.namespace ?? ''}"` : `${s.kind} "${s.name}"`;

export class Rbac {
  private readonly tokens = new Map<string, UserInfo>();
  private readonly roles: Role[] = [BUILTIN];
  private readonly bindings: Binding[] = [
    {
      kind: 'ClusterRoleBinding',
      name: 'system:discovery',
      roleRef: { kind: 'ClusterRole', name: 'system:discovery' },
      subjects: [{ kind: 'Group', name: 'system:authenticated' }],
    },
  ];
  private grants = 0;
  /** Roles and bindings created through the API (`kubectl apply -k .`), replaced on every change. */
  private stored: { roles: Role[]; bindings: Binding[] } = { roles: [], bindings: [] };

  addToken(token: string, user: UserInfo): void {
    if (!token) throw new RbacError('a token must not be empty');
    this.tokens.set(token, user);
  }

  /**
   * Gives `token` the identity of a ServiceAccount (`ns:name` or `system:serviceaccount:ns:name`) and a Role
   * with `rules` bound to it in `namespace` (default: the ServiceAccount's), or cluster-wide with `'*'`.
   */
  grant(token: string, serviceAccount: string, rules: PolicyRule[], namespace?: string): UserInfo {
    const parts = serviceAccount.replace(/^system:serviceaccount:/, '').split(':');
    if (parts.length !== 2 || !parts[0] || !parts[1])
      throw new RbacError(`service account "${serviceAccount}" must be NAMESPACE:NAME`);
    const [saNs, saName] = parts as [string, string];
    const user = serviceAccountUser(saNs, saName);
    this.addToken(token, user);
    const name = `kv-cache-bench-grant-${++this.grants}`;
    const subject: Subject = { kind: 'ServiceAccount', name: saName, namespace: saNs };
    if (namespace === '*') {
      this.roles.push({ kind: 'ClusterRole', name, rules });
      this.bindings.push({
        kind: 'ClusterRoleBinding',
        name,
        roleRef: { kind: 'ClusterRole', name },
        subjects: [subject],
      });
    } else {
      const ns = namespace ?? saNs;
      this.roles.push({ kind: 'Role', name, namespace: ns, rules });
      this.bindings.push({
        kind: 'RoleBinding',
        name,
        namespace: ns,
        roleRef: { kind: 'Role', name },
        subjects: [subject],
      });
    }
    return user;
  }

  /** Loads Role, ClusterRole, RoleBinding and ClusterRoleBinding documents (other kinds are ignored). */
  load(yamlText: string): void {
    for (const doc of parseAllDocuments(yamlText)) {
      if (doc.errors.length) throw new RbacError(`RBAC YAML: ${doc.errors[0]!.message}`);
      const obj = doc.toJS() as Record<string, unknown> | null;
      if (!obj) continue;
      const items = obj.kind === 'List' ? ((obj.items as Record<string, unknown>[]) ?? []) : [obj];
      for (const item of items) this.loadObject(item);
    }
  }

  /** Replaces the API-created RBAC objects (the authorizer reads them as the apiserver's informers do). */
  setStoredObjects(objects: readonly Record<string, unknown>[]): void {
    const into = { roles: [] as Role[], bindings: [] as Binding[] };
    for (const obj of objects) {
      try {
        this.loadObject(obj, into);
      } catch {
        // An object the authorizer cannot use grants nothing, as on a cluster.
      }
    }
    this.stored = into;
  }

  private loadObject(
    obj: Record<string, unknown>,
    into: { roles: Role[]; bindings: Binding[] } = { roles: this.roles, bindings: this.bindings },
  ): void {
    const meta = (obj.metadata ?? {}) as { name?: string; namespace?: string };
    if (!meta.name) throw new RbacError(`RBAC ${String(obj.kind)} without metadata.name`);
    if (obj.kind === 'Role' || obj.kind === 'ClusterRole') {
      const rules = (obj.rules ?? []) as PolicyRule[];
      if (obj.kind === 'Role' && !meta.namespace)
        throw new RbacError(`Role ${meta.name} needs metadata.namespace`);
      into.roles.push({
        kind: obj.kind,
        name: meta.name,
        namespace: obj.kind === 'Role' ? meta.namespace : undefined,
        rules,
      });
    } else if (obj.kind === 'RoleBinding' || obj.kind === 'ClusterRoleBinding') {
      if (obj.kind === 'RoleBinding' && !meta.namespace)
        throw new RbacError(`RoleBinding ${meta.name} needs metadata.namespace`);
      const roleRef = obj.roleRef as Binding['roleRef'];
      const subjects = ((obj.subjects ?? []) as Subject[]).map((s) =>
        s.kind === 'ServiceAccount' ? { ...s, namespace: s.namespace ?? meta.namespace } : s,
      );
      into.bindings.push({
        kind: obj.kind,
        name: meta.name,
        namespace: obj.kind === 'RoleBinding' ? meta.namespace : undefined,
        roleRef,
        subjects,
      });
    }
  }

  /** The user behind an `Authorization: Bearer …` header; undefined when absent or unknown (→ 401). */
  authenticate(authorization: string | undefined): UserInfo | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return m ? this.tokens.get(m[1]!) : undefined;
  }

  authorize(a: RequestAttributes): { allowed: boolean; reason: string } {
    const roles = [...this.roles, ...this.stored.roles];
    for (const b of [...this.bindings, ...this.stored.bindings]) {
      // A RoleBinding grants only inside its own namespace; ClusterRoleBindings everywhere.
      if (b.kind === 'RoleBinding' && (!a.resourceRequest || b.namespace !== a.namespace)) continue;
      const subject = b.subjects.find((s) => subjectMatches(s, a.user));
      if (!subject) continue;
      const role = roles.find(
        (r) =>
          r.kind === b.roleRef.kind &&
          r.name === b.roleRef.name &&
          (r.kind === 'ClusterRole' || r.namespace === b.namespace),
      );
      if (role?.rules.some((rule) => ruleAllows(rule, a))) {
        const where = b.namespace ? `${b.name}/${b.namespace}` : b.name;
        return {
          allowed: true,
          reason: `RBAC: allowed by ${b.kind} "${where}" of ${role.kind} "${role.name}" to ${describeSubject(subject)}`,
        };
      }
    }
    return { allowed: false, reason: '' };
  }
}

const RBAC_RESOURCES: readonly ResourceName[] = [
  'roles',
  'rolebindings',
  'clusterroles',
  'clusterrolebindings',
];

/**
 * Makes the authorizer follow the RBAC objects in the store, so a Role that `kubectl apply` created
 * grants (or, by its absence, refuses) what it says. Returns the function that stops following.
 */
export function bindRbacToStore(rbac: Rbac, store: ObjectStore): () => void {
  const sync = (): void =>
    rbac.setStoredObjects(RBAC_RESOURCES.flatMap((r) => store.list(r)) as Record<string, unknown>[]);
  sync();
  return store.observe((e) => {
    if (RBAC_RESOURCES.includes(e.resource)) sync();
  });
}

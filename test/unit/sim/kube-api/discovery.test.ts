import {
  aggregatedDiscovery,
  aggregatedVersion,
  legacyResourceList,
} from '../../../../src/sim/kube-api/discovery.ts';

describe('discovery', () => {
  it.each([
    [
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
      'v2',
    ],
    ['application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json', 'v2beta1'],
    ['application/json, */*', undefined],
    [undefined, undefined],
  ])('Accept %p asks for aggregated discovery %p', (accept, expected) => {
    expect(aggregatedVersion(accept)).toBe(expected);
  });

  it('lists pods with the po short name and the proxy subresource', () => {
    const list = legacyResourceList('', 'v1') as { resources: { name: string; shortNames?: string[] }[] };
    expect(list.resources.find((r) => r.name === 'pods')?.shortNames).toEqual(['po']);
    expect(list.resources.map((r) => r.name)).toContain('pods/proxy');
  });

  it('names the core group "" in aggregated discovery and scopes namespaces to the cluster', () => {
    const doc = aggregatedDiscovery('legacy', 'v2') as {
      items: {
        metadata: { name: string };
        versions: { resources: { resource: string; scope: string }[] }[];
      }[];
    };
    expect(doc.items.map((i) => i.metadata.name)).toEqual(['']);
    const scopes = Object.fromEntries(doc.items[0]!.versions[0]!.resources.map((r) => [r.resource, r.scope]));
    expect(scopes).toEqual({
      configmaps: 'Namespaced',
      namespaces: 'Cluster',
      pods: 'Namespaced',
      secrets: 'Namespaced',
      serviceaccounts: 'Namespaced',
      services: 'Namespaced',
    });
  });

  it('serves the deploy short name under apps/v1', () => {
    const doc = aggregatedDiscovery('groups', 'v2') as {
      items: {
        metadata: { name: string };
        versions: { resources: { resource: string; shortNames?: string[] }[] }[];
      }[];
    };
    const apps = doc.items.find((i) => i.metadata.name === 'apps')!;
    expect(apps.versions[0]!.resources.find((r) => r.resource === 'deployments')?.shortNames).toEqual([
      'deploy',
    ]);
  });
});

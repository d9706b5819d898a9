import { parse } from 'yaml';
import { kubeconfigYaml } from '../../../../src/sim/kube-api/kubeconfig.ts';
import { subjectAltNames } from '../../../../src/sim/kube-api/tls.ts';

describe('kubeconfig for the embedded API', () => {
  it('skips TLS verification (client-node refuses plain http otherwise) and sets the pods namespace', () => {
    const cfg = parse(kubeconfigYaml('http://127.0.0.1:1234', 'tok', { namespace: 'bench' }));
    expect(cfg.clusters[0].cluster).toEqual({
      server: 'http://127.0.0.1:1234',
      'insecure-skip-tls-verify': true,
    });
    expect(cfg.contexts[0].context).toMatchObject({
      namespace: 'bench',
      cluster: cfg.clusters[0].name,
      user: cfg.users[0].name,
    });
    expect(cfg['current-context']).toBe(cfg.contexts[0].name);
    expect(cfg.users[0].user).toEqual({ token: 'tok' });
  });

  it('defaults to the llm-d namespace and no credentials', () => {
    const cfg = parse(kubeconfigYaml('https://127.0.0.1:1'));
    expect(cfg.contexts[0].context.namespace).toBe('llm-d');
    expect(cfg.users[0].user).toEqual({});
  });
});

describe('certificate names', () => {
  it.each([
    ['127.0.0.1', 'IP:127.0.0.1,DNS:localhost'],
    ['0.0.0.0', 'IP:127.0.0.1,DNS:localhost'],
    ['10.1.2.3', 'IP:127.0.0.1,DNS:localhost,IP:10.1.2.3'],
    ['sim.local', 'IP:127.0.0.1,DNS:localhost,DNS:sim.local'],
  ])('a server on %s is valid for %s', (host, san) => {
    expect(subjectAltNames(host)).toBe(san);
  });
});

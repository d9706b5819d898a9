// The assembled stack: Kubernetes API + decode Deployment of simulated vLLM pods + gateway over the Ready
// pods, wired the way `sim` serves it.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { startStack, type StackHandle } from '../../../src/sim/stack.ts';

const MODEL = 'meta-llama/Llama-3.2-3B-Instruct';
const client = new Agent();

interface PodList {
  items: {
    metadata: { name: string; labels: Record<string, string> };
    status: { podIP: string; conditions?: { type: string; status: string }[] };
    spec: { containers: { ports: { containerPort: number }[] }[] };
  }[];
}

async function chat(stack: StackHandle, content: string): Promise<{ status: number; pod: string }> {
  const res = await request(`${stack.gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: client,
    headers: { 'content-type': 'application/json', host: 'llm-d.demo.local' },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content }], max_tokens: 8 }),
  });
  await res.body.dump();
  return { status: res.statusCode, pod: String(res.headers['x-inference-pod']) };
}

describe('the embedded stack over plain HTTP', () => {
  let stack: StackHandle;

  beforeAll(async () => {
    stack = await startStack({
      pods: 3,
      policy: 'round-robin',
      latency: 'zero',
      readyDelayMs: 150,
      host: 'llm-d.demo.local',
      servedByHeader: 'x-inference-pod',
      numBlocks: 2048,
      seed: 5,
      baselinePolicy: 'session-token',
    });
  });

  afterAll(async () => {
    await stack.close();
    await client.close();
  });

  it('lists the decode pods through the API, each pointing at its own vLLM server', async () => {
    const res = await request(
      `${stack.kubernetesUrl}/api/v1/namespaces/llm-d/pods?labelSelector=llm-d.ai%2Frole%3Ddecode`,
      {
        dispatcher: client,
      },
    );
    const list = (await res.body.json()) as PodList;
    expect(list.items).toHaveLength(3);
    const urls = list.items.map(
      (p) => `http://${p.status.podIP}:${p.spec.containers[0]!.ports[0]!.containerPort}`,
    );
    expect(new Set(urls)).toEqual(new Set(stack.pods.map((p) => p.url)));
    for (const pod of list.items) {
      expect(pod.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  });

  it('writes a kubeconfig kubectl uses as is (context namespace llm-d)', async () => {
    expect(await readFile(stack.kubeconfigPath, 'utf8')).toContain(stack.kubernetesUrl);
    const { stdout } = await promisify(execFile)('kubectl', [
      '--kubeconfig',
      stack.kubeconfigPath,
      'get',
      'pods',
      '-l',
      'llm-d.ai/role=decode',
      '-o',
      'name',
    ]);
    expect(stdout.trim().split('\n').sort()).toEqual(stack.pods.map((p) => `pod/${p.name}`).sort());
  });

  it("routes gateway traffic over the Ready pods only, and follows a deleted pod's replacement", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await chat(stack, `question ${i}`)).pod);
    expect(seen).toEqual(new Set(stack.pods.map((p) => p.name)));

    const victim = stack.pods[0]!.name;
    const del = await request(`${stack.kubernetesUrl}/api/v1/namespaces/llm-d/pods/${victim}`, {
      method: 'DELETE',
      dispatcher: client,
    });
    expect(del.statusCode).toBe(200);
    await del.body.dump();
    // Terminating at once: the gateway stops sending to it before it is gone.
    for (let i = 0; i < 6; i++) {
      const r = await chat(stack, `during ${i}`);
      expect(r.status).toBe(200);
      expect(r.pod).not.toBe(victim);
    }
    await stack.cluster.whenReady(20_000);
    const names = stack.pods.map((p) => p.name);
    expect(names).toHaveLength(3);
    expect(names).not.toContain(victim);
    const after = new Set<string>();
    for (let i = 0; i < 6; i++) after.add((await chat(stack, `after ${i}`)).pod);
    expect(after).toEqual(new Set(names));
  });

  it('serves a second gateway with the baseline policy over the same pods', async () => {
    const res = await request(`${stack.baselineGatewayUrl}/v1/completions`, {
      method: 'POST',
      dispatcher: client,
      headers: { 'content-type': 'application/json', host: 'llm-d.demo.local' },
      body: JSON.stringify({ model: MODEL, prompt: 'Hello', max_tokens: 4 }),
    });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    const pod = String(res.headers['x-inference-pod']);
    expect(stack.pods.map((p) => p.name)).toContain(pod);
    expect(Buffer.from(String(res.headers['x-session-token']), 'base64').toString()).toBe(`llm-d/${pod}`);
  });

  it('answers 404 to a Host the route does not list', async () => {
    const res = await request(`${stack.gatewayUrl}/v1/models`, { dispatcher: client });
    expect(res.statusCode).toBe(404);
    await res.body.dump();
  });
});

describe('the embedded stack with --tls', () => {
  let stack: StackHandle;
  const insecure = new Agent({ connect: { rejectUnauthorized: false } });

  beforeAll(async () => {
    stack = await startStack({
      pods: 1,
      tls: true,
      latency: 'zero',
      tokenizer: 'approx',
      readyDelayMs: 50,
      numBlocks: 1024,
    });
  });

  afterAll(async () => {
    await stack.close();
    await insecure.close();
  });

  it("serves HTTPS and requires the kubeconfig's bearer token", async () => {
    expect(stack.kubernetesUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const kubeconfig = await readFile(stack.kubeconfigPath, 'utf8');
    expect(kubeconfig).toContain(`token: ${stack.token}`);
    const url = `${stack.kubernetesUrl}/api/v1/namespaces/llm-d/pods`;
    const anonymous = await request(url, { dispatcher: insecure });
    expect(anonymous.statusCode).toBe(401);
    await anonymous.body.dump();
    const admin = await request(url, {
      dispatcher: insecure,
      headers: { authorization: `Bearer ${stack.token}` },
    });
    expect(admin.statusCode).toBe(200);
    expect(((await admin.body.json()) as PodList).items).toHaveLength(1);
  });

  it('lets kubectl in with the kubeconfig over TLS', async () => {
    const { stdout } = await promisify(execFile)('kubectl', [
      '--kubeconfig',
      stack.kubeconfigPath,
      'auth',
      'can-i',
      'delete',
      'pods',
    ]);
    expect(stdout.trim()).toBe('yes');
  });
});

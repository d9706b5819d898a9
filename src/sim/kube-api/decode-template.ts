// The pod template of the embedded decode Deployment: what an llm-d decode pod declares (labels the EPP and
// the benchmark select on, a vLLM container with its http port and /health readiness probe). Each pod's
// spec replaces port 8000 with the loopback port its own server got.
import type { PodTemplate } from './pod-object.ts';

export const DECODE_LABELS = { 'llm-d.ai/role': 'decode', 'llm-d.ai/inferenceServing': 'true' };

export function decodeTemplate(app: string, model: string): PodTemplate {
  return {
    metadata: { labels: { app, ...DECODE_LABELS } },
    spec: {
      containers: [
        {
          name: 'vllm',
          image: 'vllm/vllm-openai:v0.10.0',
          args: ['--model', model, '--port', '8000', '--block-size', '16', '--enable-prefix-caching'],
          ports: [{ name: 'http', containerPort: 8000, protocol: 'TCP' }],
          readinessProbe: { httpGet: { path: '/health', port: 'http', scheme: 'HTTP' } },
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      schedulerName: 'default-scheduler',
      securityContext: {},
    },
  };
}

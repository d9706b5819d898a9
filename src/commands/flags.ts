// Flag groups shared by several commands (../shared/DESIGN.md, "Command-line contract"). Light module:
// no heavy imports, so `--help` and start-up stay fast.
import type { Options } from 'yargs';
import { checkNamespace, checkSelector } from '../kube/selector.ts';

export type FlagSet = Record<string, Options>;

export const DEFAULT_NAMESPACE = 'llm-d';
export const DEFAULT_SELECTOR = 'llm-d.ai/role=decode';
export const DEFAULT_MODEL = 'meta-llama/Llama-3.2-3B-Instruct';

export const commonFlags: FlagSet = {
  'log-level': {
    type: 'string',
    default: 'info',
    choices: ['trace', 'debug', 'info', 'warn', 'error', 'silent'],
    describe: 'pino log level (JSON logs on stderr when not a TTY)',
  },
};

export const kubeFlags: FlagSet = {
  // Checked as they are parsed: a bad name or selector is bad input before any request is sent.
  namespace: {
    type: 'string',
    default: DEFAULT_NAMESPACE,
    describe: 'namespace of the vLLM decode pods',
    coerce: (v: unknown) => checkNamespace(String(v)),
  },
  selector: {
    type: 'string',
    default: DEFAULT_SELECTOR,
    describe: 'label selector of the vLLM decode pods',
    coerce: (v: unknown) => checkSelector(String(v)),
  },
  kubeconfig: {
    type: 'string',
    describe: 'kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)',
  },
};

export const loadFlags: FlagSet = {
  'gateway-url': {
    type: 'string',
    default: 'http://llm-d-gateway-istio.llm-d.svc.cluster.local',
    describe: 'base URL of the llm-d gateway (no /v1)',
  },
  'host-header': {
    type: 'string',
    describe: 'Host header to send (the HTTPRoute hostname), e.g. llm-d.demo.local',
  },
  model: { type: 'string', default: DEFAULT_MODEL, describe: 'model name sent in requests' },
  'api-key-file': {
    type: 'string',
    describe: 'file holding the gateway API key (or set KV_CACHE_BENCH_API_KEY)',
  },
  sessions: { type: 'number', default: 24, describe: 'conversations running at once' },
  turns: { type: 'number', default: 10, describe: 'turns per conversation before it starts over' },
  'system-prompt-tokens': {
    type: 'number',
    default: 50,
    describe: 'shared system prompt size, in Llama 3 tokens',
  },
  'user-tokens': { type: 'number', default: 40, describe: 'user message size per turn, in Llama 3 tokens' },
  'max-tokens': { type: 'number', default: 200, describe: 'max_tokens per request (answer length)' },
  seed: { type: 'number', default: 42, describe: 'seed of the workload (same seed, same prompts)' },
  'served-by-header': {
    type: 'string',
    describe: 'response header naming the serving pod, if the gateway sets one',
  },
  'pin-date': {
    type: 'boolean',
    default: true,
    describe: 'pin the Llama 3.2 template date (chat_template_kwargs.date_string); --no-pin-date to turn off',
  },
  stream: { type: 'boolean', default: true, describe: 'stream responses (--no-stream for non-streaming)' },
  'request-timeout': { type: 'string', default: '120s', describe: 'per-request timeout (e.g. 30s, 2m)' },
  tokenizer: {
    type: 'string',
    default: 'llama3',
    choices: ['llama3', 'approx'],
    describe: 'tokenizer for prompt sizes and the upper bound',
  },
};

export const scrapeFlags: FlagSet = {
  via: {
    type: 'string',
    default: 'pod-ip',
    choices: ['pod-ip', 'api-proxy', 'prometheus', 'urls'],
    describe: "how to read the pods' /metrics",
  },
  urls: { type: 'string', describe: 'comma-separated metrics URLs (with --via urls)' },
  'metrics-port': { type: 'number', describe: 'vLLM metrics port (default: from the pod spec)' },
  'prometheus-url': {
    type: 'string',
    describe: 'Prometheus / Thanos querier base URL (with --via prometheus)',
  },
  'token-file': {
    type: 'string',
    describe: "bearer token file for --via prometheus (default: the pod's ServiceAccount token)",
  },
};

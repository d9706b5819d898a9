// Validates Tekton documents against Tekton's own CRD schemas (../shared/schemas/tekton-pipeline-v1.15.0,
// the generated structural openAPIV3Schema since Pipelines v1.0), the way the API server's strict field
// validation treats them: an object that lists `properties` rejects any other field unless it is marked
// `x-kubernetes-preserve-unknown-fields`. Where the CRD leaves a field open, Tekton's webhook decodes it
// strictly into a Go type, so those spots get small schemas of their own below.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

export const SCHEMA_DIR = fileURLToPath(
  new URL('../../../../shared/schemas/tekton-pipeline-v1.15.0/', import.meta.url),
);

type Schema = Record<string, unknown>;

const STRING_MAP = { type: 'object', additionalProperties: { type: 'string' } };

/** metadata is validated by the API server as ObjectMeta; these are the fields a catalog file may set. */
const OBJECT_META: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
    generateName: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?-$' },
    namespace: { type: 'string' },
    labels: STRING_MAP,
    annotations: STRING_MAP,
  },
};

/** ParamValue / param default: a string, an array of strings or a map of strings (param_types.go). */
const PARAM_VALUE: Schema = {
  anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }, STRING_MAP],
};

/** corev1.Volume, the sources a Task may use here. */
const VOLUMES: Schema = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string' },
      emptyDir: {
        type: 'object',
        additionalProperties: false,
        properties: { medium: { type: 'string' }, sizeLimit: { type: ['string', 'integer'] } },
      },
      secret: {
        type: 'object',
        additionalProperties: false,
        properties: { secretName: { type: 'string' }, optional: { type: 'boolean' } },
      },
      configMap: {
        type: 'object',
        additionalProperties: false,
        properties: { name: { type: 'string' }, optional: { type: 'boolean' } },
      },
    },
    minProperties: 2,
    maxProperties: 2,
  },
};

/** A PersistentVolumeClaim template as a workspace binding gives it. */
const PVC_TEMPLATE: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    metadata: OBJECT_META,
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        accessModes: {
          type: 'array',
          items: { enum: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] },
        },
        storageClassName: { type: 'string' },
        volumeMode: { type: 'string' },
        resources: {
          type: 'object',
          additionalProperties: false,
          properties: { requests: STRING_MAP, limits: STRING_MAP },
        },
      },
    },
  },
};

/** The CRD schema made strict, with open spots filled by what Tekton's webhook decodes them into. */
function strict(node: unknown, path: string[], fills: Map<string, Schema>): unknown {
  if (Array.isArray(node)) return node.map((n) => strict(n, path, fills));
  if (typeof node !== 'object' || node === null) return node;
  const fill = fills.get(path.join('.'));
  if (fill) return fill;
  const src = node as Schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(src)) {
    if (k.startsWith('x-kubernetes-')) continue;
    if (k === 'properties' && typeof v === 'object' && v !== null) {
      out.properties = Object.fromEntries(
        Object.entries(v).map(([name, sub]) => [name, strict(sub, [...path, name], fills)]),
      );
    } else if (k === 'items') {
      out.items = strict(v, [...path, '[]'], fills);
    } else if (k === 'additionalProperties' && typeof v === 'object') {
      out.additionalProperties = strict(v, [...path, '*'], fills);
    } else {
      out[k] = strict(v, path, fills);
    }
  }
  if (src['x-kubernetes-int-or-string']) return { anyOf: [{ type: 'integer' }, { type: 'string' }] };
  if (
    src.properties &&
    !src['x-kubernetes-preserve-unknown-fields'] &&
    src.additionalProperties === undefined
  )
    out.additionalProperties = false;
  return out;
}

function crdSchema(file: string, fills: Map<string, Schema>): Schema {
  const crd = parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
  };
  const v1 = crd.spec.versions.find((v) => v.name === 'v1');
  if (!v1) throw new Error(`${file} has no v1 version`);
  const schema = strict(v1.schema.openAPIV3Schema, [], fills) as Schema;
  const props = schema.properties as Schema;
  props.metadata = OBJECT_META;
  // Objects we submit carry no status.
  delete props.status;
  schema.required = ['apiVersion', 'kind', 'metadata', 'spec'];
  return schema;
}

export interface CrdValidators {
  validate(doc: unknown): string[];
}

export function loadCrdValidators(): CrdValidators {
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  const paramFills = (prefix: string) => [
    [`${prefix}.params.[].default`, PARAM_VALUE],
    [`${prefix}.params.[].value`, PARAM_VALUE],
  ];
  const taskSpec = crdSchema(
    '300-task.yaml',
    new Map<string, Schema>([
      ...paramFills('spec'),
      ['spec.volumes', VOLUMES],
      ['spec.results.[].value', PARAM_VALUE],
    ] as [string, Schema][]),
  );
  const taskSpecSchema = (taskSpec.properties as Schema).spec as Schema;
  const pipelineFills = new Map<string, Schema>([
    ...paramFills('spec'),
    ['spec.results.[].value', PARAM_VALUE],
    ...['tasks', 'finally'].flatMap((k) => [
      [`spec.${k}.[].params.[].value`, PARAM_VALUE],
      [`spec.${k}.[].matrix.params.[].value`, PARAM_VALUE],
      [`spec.${k}.[].matrix.include.[].params.[].value`, PARAM_VALUE],
      // An embedded taskSpec is a Task's spec (plus metadata), decoded strictly by the webhook.
      [`spec.${k}.[].taskSpec`, taskSpecSchema],
    ]),
  ] as [string, Schema][]);
  const runFills = new Map<string, Schema>([
    ['spec.params.[].value', PARAM_VALUE],
    ['spec.workspaces.[].volumeClaimTemplate', PVC_TEMPLATE],
  ]);
  const validators: Record<string, ValidateFunction> = {
    Task: ajv.compile(taskSpec),
    Pipeline: ajv.compile(crdSchema('300-pipeline.yaml', pipelineFills)),
    PipelineRun: ajv.compile(crdSchema('300-pipelinerun.yaml', runFills)),
  };
  return {
    validate(doc) {
      const d = doc as { apiVersion?: string; kind?: string };
      if (d.apiVersion !== 'tekton.dev/v1')
        return [`apiVersion must be tekton.dev/v1, got ${String(d.apiVersion)}`];
      const v = validators[d.kind ?? ''];
      if (!v) return [`no CRD schema for kind ${String(d.kind)}`];
      if (v(doc)) return [];
      return (v.errors ?? []).map(
        (e) =>
          `${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
      );
    },
  };
}

// The subset of Tekton's v1 API the local executor understands (tekton.dev/v1: Task, Pipeline,
// PipelineRun), and the run status it reports. Field names are Tekton's own
// (pkg/apis/pipeline/v1/*_types.go), so a status here reads like `kubectl get pr -o yaml`.

/** A param or result value: Tekton's ParamValue is a string, an array of strings or a string map. */
export type ParamValue = string | string[] | Record<string, string>;
export type ParamType = 'string' | 'array' | 'object';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ParamSpec {
  name: string;
  type?: ParamType;
  description?: string;
  properties?: Record<string, { type?: 'string' }>;
  default?: unknown;
}

export interface Param {
  name: string;
  value: unknown;
}

export interface TaskResultSpec {
  name: string;
  type?: ParamType;
  description?: string;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}

export interface WhenExpression {
  input?: string;
  operator: 'in' | 'notin';
  values: string[];
  cel?: string;
}

export interface Step {
  name?: string;
  displayName?: string;
  image?: string;
  command?: string[];
  args?: string[];
  script?: string;
  workingDir?: string;
  env?: EnvVar[];
  volumeMounts?: VolumeMount[];
  onError?: string;
  timeout?: string;
  when?: WhenExpression[];
  computeResources?: unknown;
  securityContext?: unknown;
}

export interface WorkspaceDeclaration {
  name: string;
  description?: string;
  mountPath?: string;
  readOnly?: boolean;
  optional?: boolean;
}

export interface Volume {
  name: string;
  emptyDir?: Record<string, unknown>;
  secret?: { secretName: string; optional?: boolean };
  configMap?: { name: string; optional?: boolean };
}

export interface TaskSpec {
  description?: string;
  displayName?: string;
  params?: ParamSpec[];
  results?: TaskResultSpec[];
  steps: Step[];
  stepTemplate?: Omit<Step, 'name' | 'script' | 'onError' | 'timeout' | 'when'>;
  volumes?: Volume[];
  workspaces?: WorkspaceDeclaration[];
}

export interface Task {
  apiVersion: string;
  kind: 'Task';
  metadata: ObjectMeta;
  spec: TaskSpec;
}

export interface WorkspacePipelineTaskBinding {
  name: string;
  workspace?: string;
  subPath?: string;
}

export interface PipelineTask {
  name: string;
  displayName?: string;
  taskRef?: { name: string; kind?: string };
  taskSpec?: TaskSpec;
  params?: Param[];
  workspaces?: WorkspacePipelineTaskBinding[];
  runAfter?: string[];
  when?: WhenExpression[];
  retries?: number;
  timeout?: string;
  matrix?: { params?: Param[]; include?: { name?: string; params: Param[] }[] };
}

export interface PipelineResultSpec {
  name: string;
  type?: ParamType;
  description?: string;
  value: unknown;
}

export interface PipelineSpec {
  description?: string;
  displayName?: string;
  params?: ParamSpec[];
  workspaces?: { name: string; description?: string; optional?: boolean }[];
  tasks: PipelineTask[];
  finally?: PipelineTask[];
  results?: PipelineResultSpec[];
}

export interface Pipeline {
  apiVersion: string;
  kind: 'Pipeline';
  metadata: ObjectMeta;
  spec: PipelineSpec;
}

/** How a PipelineRun binds a workspace. Locally every volume source becomes a directory. */
export interface WorkspaceBinding {
  name: string;
  subPath?: string;
  emptyDir?: Record<string, unknown>;
  volumeClaimTemplate?: unknown;
  persistentVolumeClaim?: { claimName: string };
  /** Local only: an existing host directory to use as the volume (not a Tekton field). */
  hostPath?: string;
}

export interface PipelineRun {
  apiVersion: string;
  kind: 'PipelineRun';
  metadata: ObjectMeta;
  spec: {
    pipelineRef?: { name: string };
    params?: Param[];
    workspaces?: WorkspaceBinding[];
    timeouts?: { pipeline?: string; tasks?: string; finally?: string };
    taskRunTemplate?: { serviceAccountName?: string };
  };
}

// ---- run status -------------------------------------------------------------------------------

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** The `Succeeded` condition, with Tekton's reasons (pipelinerun_types.go, taskrun_types.go). */
export interface Condition {
  type: 'Succeeded';
  status: ConditionStatus;
  reason: string;
  message: string;
}

export interface RunResult {
  name: string;
  value: ParamValue;
}

export type StepTermination = 'Completed' | 'Error' | 'Skipped' | 'TimeoutExceeded' | 'Cancelled' | 'NotRun';

export interface StepStatus {
  name: string;
  /** Tekton names step containers `step-<name>`. */
  container: string;
  image: string;
  /** command + args exactly as the container would run them (after substitution). */
  command: string[];
  /** What the executor ran on this machine (paths mapped to local directories). Empty in dry runs. */
  localCommand: string[];
  exitCode: number | null;
  terminationReason: StepTermination;
  /** When the step's process started and ended (absent for steps that did not run). */
  startedAt?: string;
  finishedAt?: string;
  log: string;
}

export interface TaskRunStatus {
  name: string;
  pipelineTaskName?: string;
  taskName: string;
  condition: Condition;
  steps: StepStatus[];
  results: RunResult[];
  retriesStatus: number;
  startTime: string;
  completionTime?: string;
}

export interface SkippedTask {
  name: string;
  reason: string;
}

export interface PipelineRunStatus {
  name: string;
  namespace: string;
  pipelineName: string;
  condition: Condition;
  results: RunResult[];
  /** Keyed by pipeline task name (DAG tasks and finally tasks). */
  taskRuns: Record<string, TaskRunStatus>;
  skippedTasks: SkippedTask[];
  startTime: string;
  completionTime?: string;
  dryRun: boolean;
}

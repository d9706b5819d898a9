// Object names the way the cluster makes them. Pure (the random source is a parameter).
import { createHash } from 'node:crypto';

const MAX_NAME = 63;
const MD5_HEX = 32;

/**
 * The TaskRun name of a PipelineTask: `<pipelineRun>-<task>`, shortened with an md5 of the parent
 * when longer than 63 characters (knative.dev/pkg/kmeta ChildName, which Tekton uses).
 */
export function childName(parent: string, suffix: string): string {
  if (parent.length + suffix.length <= MAX_NAME) return parent + suffix;
  const head = MAX_NAME - suffix.length;
  if (head - MD5_HEX <= 0)
    return createHash('md5')
      .update(parent + suffix)
      .digest('hex');
  return parent.slice(0, head - MD5_HEX) + createHash('md5').update(parent).digest('hex') + suffix;
}

// k8s.io/apiserver/pkg/storage/names: SimpleNameGenerator appends 5 of these characters.
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** `generateName` + 5 random characters; `random` returns a float in [0, 1). */
export function generateName(prefix: string, random: () => number): string {
  const base = prefix.length > MAX_NAME - 5 ? prefix.slice(0, MAX_NAME - 5) : prefix;
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += ALPHANUMS[Math.floor(random() * ALPHANUMS.length)] ?? 'x';
  return base + suffix;
}

import { JANGAR_ANNOTATIONS, JANGAR_LABELS, type KubeObject } from '@jangar/contracts';

const OWNED_LABELS = new Set<string>(Object.values(JANGAR_LABELS));
const OWNED_ANNOTATIONS = new Set<string>(Object.values(JANGAR_ANNOTATIONS));

function split(map: Record<string, string> | undefined, owned: Set<string>) {
  const user: Record<string, string> = {};
  const jangar: Record<string, string> = {};
  for (const [key, value] of Object.entries(map ?? {})) (owned.has(key) ? jangar : user)[key] = value;
  return { user, jangar };
}

/**
 * An object's labels and annotations split into the user's and Jangar's own. Users edit theirs;
 * Jangar's (id, delivery, binding, trace…) survive every update whatever the body says.
 */
export function ownedMetadataOf(obj: KubeObject) {
  const labels = split(obj.metadata.labels, OWNED_LABELS);
  const annotations = split(obj.metadata.annotations, OWNED_ANNOTATIONS);
  return { userLabels: labels.user, userAnnotations: annotations.user, jangarLabels: labels.jangar, jangarAnnotations: annotations.jangar };
}

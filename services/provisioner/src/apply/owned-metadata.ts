import { OWNED_ANNOTATION_KEYS, OWNED_LABEL_KEYS, type KubeObject } from '@jangar/contracts';

function split<V>(map: Record<string, V> | undefined, owned: ReadonlySet<string>) {
  const user: Record<string, V> = {};
  const jangar: Record<string, V> = {};
  for (const [key, value] of Object.entries(map ?? {})) (owned.has(key) ? jangar : user)[key] = value;
  return { user, jangar };
}

/**
 * An object's labels and annotations split into the user's and Jangar's own. Users edit theirs;
 * Jangar's (id, delivery, binding, trace…) survive every update whatever the body says.
 */
export function ownedMetadataOf(obj: KubeObject) {
  const labels = split(obj.metadata.labels, OWNED_LABEL_KEYS);
  const annotations = split(obj.metadata.annotations, OWNED_ANNOTATION_KEYS);
  return { userLabels: labels.user, userAnnotations: annotations.user, jangarLabels: labels.jangar, jangarAnnotations: annotations.jangar };
}

/**
 * The labels and annotations a request may set: its own without Jangar's keys (id, delivery, the
 * orchestration-run and step a run claims, last-request, traceparent…), which a client can neither
 * set nor change — only Jangar writes them. Other `jangar.proompteng.ai/` keys (`sim-scenario`) are the user's.
 */
export function userMetadataOf<V>(metadata: { labels?: Record<string, V>; annotations?: Record<string, V> } | undefined) {
  return { labels: split(metadata?.labels, OWNED_LABEL_KEYS).user, annotations: split(metadata?.annotations, OWNED_ANNOTATION_KEYS).user };
}

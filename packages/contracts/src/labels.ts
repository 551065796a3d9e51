/** Label and annotation keys that Jangar sets on every custom resource it writes. */
export const JANGAR_LABELS = {
  /** The UUID Jangar assigns to a resource when it accepts the request. */
  id: 'jangar.proompteng.ai/id',
  /** A label-safe digest of the request key, for selecting what one delivery created. */
  delivery: 'jangar.proompteng.ai/delivery',
  /**
   * On a run that an orchestration started: the name of its OrchestrationRun (same namespace), so
   * `jangar.proompteng.ai/orchestration-run=<name>` selects every run one execution started. A name
   * that is not a valid label value (over 63 characters) is shortened with a digest.
   */
  orchestrationRun: 'jangar.proompteng.ai/orchestration-run',
  /** On a run that an orchestration started: the name of the step it executes (shortened like `orchestrationRun`). */
  step: 'jangar.proompteng.ai/step',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const JANGAR_ANNOTATIONS = {
  /** The client's deliveryId, verbatim (annotations have no label-value limits). */
  deliveryId: 'jangar.proompteng.ai/delivery-id',
  /** The principal that asked for the resource. */
  requestedBy: 'jangar.proompteng.ai/requested-by',
  /** The provider binding chosen by the provisioner (JSON). */
  binding: 'jangar.proompteng.ai/binding',
  /**
   * The request's correlationId (body `correlationId`, `X-Correlation-Id`, else its deliveryId).
   * Runs an orchestration starts carry their OrchestrationRun's, so one id finds them all.
   */
  correlationId: 'jangar.proompteng.ai/correlation-id',
  /**
   * W3C traceparent of the request that created the object: watchers see the object, not the
   * message, so this is how their work joins the request's trace.
   */
  traceparent: 'jangar.proompteng.ai/traceparent',
  /**
   * Digests of the request keys of the latest updates applied to the object, newest first,
   * space-separated (at most {@link RECENT_REQUEST_MARKS}): a redelivered request finds its own mark
   * and answers with what it already did instead of a second change, even after later updates.
   */
  lastRequest: 'jangar.proompteng.ai/last-request',
} as const;

/**
 * How many update marks an object keeps. A redelivery comes within minutes of its first attempt
 * (a crash, an ack wait); sixteen later updates of one object in between is far past what happens,
 * and 16 digests of 40 characters keep the annotation under 700 bytes.
 */
export const RECENT_REQUEST_MARKS = 16;

/** The label keys only Jangar writes (the values of {@link JANGAR_LABELS}). */
export const OWNED_LABEL_KEYS: ReadonlySet<string> = new Set<string>(Object.values(JANGAR_LABELS));
/** The annotation keys only Jangar writes (the values of {@link JANGAR_ANNOTATIONS}). */
export const OWNED_ANNOTATION_KEYS: ReadonlySet<string> = new Set<string>(Object.values(JANGAR_ANNOTATIONS));

/**
 * Where a request's metadata sets a label or annotation Jangar owns (the keys above), as field
 * errors at their paths (`metadata.labels.jangar.proompteng.ai/step`). Only Jangar writes these —
 * a run must not name another OrchestrationRun as its parent, nor a request forge a
 * `last-request` mark — so the gateway refuses a create or a patch that sets one. Other
 * `jangar.proompteng.ai/` keys (kube-dev's `sim-scenario`) are the user's.
 */
export function ownedKeysSetIn(
  metadata: { labels?: Record<string, unknown>; annotations?: Record<string, unknown> } | undefined,
): Array<{ path: string; message: string }> {
  const set = (map: Record<string, unknown> | undefined, owned: ReadonlySet<string>, field: string) =>
    Object.keys(map ?? {})
      .filter((key) => owned.has(key))
      .map((key) => ({ path: `metadata.${field}.${key}`, message: 'is set by Jangar; a request cannot set or remove it' }));
  return [...set(metadata?.labels, OWNED_LABEL_KEYS, 'labels'), ...set(metadata?.annotations, OWNED_ANNOTATION_KEYS, 'annotations')];
}

/**
 * Group commit of the "published" marks. Marking a claimed delivery published only tells the
 * recovery sweep not to publish it again, so a request need not wait for its mark: marks are
 * collected and written together, one `update` per batch, off the request's path. That leaves one
 * synchronous commit per accepted request (the claim) instead of two. A mark names the attempt it
 * was published as: a late mark must not land on the attempt a retry reopened the row as, which its
 * replica may have died before publishing and only the sweep would publish.
 *
 * Why a lost mark is safe: a mark not yet written when the gateway dies leaves its row pending and
 * unmarked, exactly as a crash between claim and publish does. The recovery sweep publishes such a
 * row again once it is `JANGAR_RECOVERY_SWEEP_MS` old (5 s), with the request key as `Nats-Msg-Id`;
 * JetStream drops it as a duplicate while the first publish is inside the stream's duplicate window
 * (`JANGAR_DEDUP_WINDOW_MS`, 2 minutes), which the gateway checks at start is well above the sweep's
 * age. Past the window (every gateway replica down for minutes) the request reaches policy again,
 * as a client's late retry of a pending row already can, and the effects stay single through their
 * own keys: create-or-get by delivery label, outcomes stored `where state = 'pending'`, audit rows
 * unique on their dedup IDs.
 */
/** One attempt of a request, published. */
export interface PublishedMark {
  requestKey: string;
  attempt: number;
}

export interface PublishedMarks {
  /** Queues the mark; it is written with the next batch. */
  add(requestKey: string, attempt: number): void;
  /** Writes every queued mark now (and waits for a batch already being written). */
  flush(): Promise<void>;
}

export function publishedMarks(opts: {
  /** Marks these attempts published, in one statement. */
  write: (marks: readonly PublishedMark[]) => Promise<void>;
  /** How long a first mark waits for others to join its batch. */
  delayMs: number;
  /** At most this many keys per statement. */
  maxBatch?: number;
  onError: (err: unknown, count: number) => void;
}): PublishedMarks {
  const maxBatch = opts.maxBatch ?? 500;
  // By `<attempt> <requestKey>`: one mark per attempt and batch, however often it is added.
  let queued = new Map<string, PublishedMark>();
  let writing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  // Writes batches until nothing is queued; marks queued meanwhile go in the next batch.
  const drain = async (): Promise<void> => {
    while (queued.size > 0) {
      const keys = [...queued.keys()].slice(0, maxBatch);
      const batch = keys.map((k) => queued.get(k)!);
      if (keys.length === queued.size) queued = new Map();
      else for (const k of keys) queued.delete(k);
      try {
        await opts.write(batch);
      } catch (err) {
        // Not retried: an unwritten mark is what the recovery sweep is for (see above).
        opts.onError(err, batch.length);
      }
    }
  };

  const start = () => {
    timer = undefined;
    if (writing) return;
    writing = drain().finally(() => {
      writing = undefined;
      // A mark added after the loop's last look but before this callback would otherwise wait for the next one.
      if (queued.size > 0) schedule();
    });
  };
  const schedule = () => {
    if (timer || writing) return;
    timer = setTimeout(start, opts.delayMs);
    timer.unref();
  };

  return {
    add(requestKey, attempt) {
      queued.set(`${attempt} ${requestKey}`, { requestKey, attempt });
      schedule();
    },
    async flush() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (writing) await writing;
      if (queued.size > 0) start();
      if (writing) await writing;
    },
  };
}

/**
 * Everything a chaos client saw, per deliveryId: each answer's status and body, in order. The
 * verification judges the system only by these answers and by what is stored afterwards.
 */

/** One answer; status 0 is a connection error or a client-side timeout (no answer at all). */
export interface Answer {
  status: number;
  body: string;
}

/** An answer as the ledger keeps it: when its attempt was sent, and how long the answer took. */
export interface TimedAnswer extends Answer {
  sentAt: number;
  ms: number;
}

/** Answers the client contract says to retry with the same deliveryId: no answer, 503, or a request still in progress. */
export function isRetryable(a: Answer): boolean {
  if (a.status === 0 || a.status === 503) return true;
  return a.status === 409 && a.body.includes('"request_in_progress"');
}

/** An answer that says the request was accepted: created (201), deleted or patched (200), or still under way (202). */
export function isAccepted(a: Answer): boolean {
  return a.status === 200 || a.status === 201 || a.status === 202;
}

/** The stored answer of a request: anything but "try again" and "accepted, not done yet". */
export function isFinal(a: Answer): boolean {
  return !isRetryable(a) && a.status !== 202;
}

/** What a change does to the run its create made. */
export type ChangeVerb = 'delete' | 'patch';

export class Ledger {
  private readonly byDelivery = new Map<string, TimedAnswer[]>();
  /** Changes (deletes and patches), by their deliveryId: which, and the create whose run each one changes. */
  private readonly changeOf = new Map<string, { verb: ChangeVerb; createdBy: string }>();

  record(deliveryId: string, answer: TimedAnswer): void {
    const list = this.byDelivery.get(deliveryId);
    if (list) list.push(answer);
    else this.byDelivery.set(deliveryId, [answer]);
  }

  /** Records that `deliveryId` deletes or patches the run `createdBy` created. */
  noteChange(deliveryId: string, verb: ChangeVerb, createdBy: string): void {
    this.changeOf.set(deliveryId, { verb, createdBy });
  }

  /** The change `deliveryId` is, if it is one (not a create). */
  changeBy(deliveryId: string): { verb: ChangeVerb; createdBy: string } | undefined {
    return this.changeOf.get(deliveryId);
  }

  /** The accepted changes of one verb: for each create whose run one changed, that change's deliveryId. */
  acceptedChanges(verb: ChangeVerb): Map<string, string> {
    const changes = new Map<string, string>();
    for (const [id, change] of this.changeOf) {
      if (change.verb === verb && this.answers(id).some(isAccepted)) changes.set(change.createdBy, id);
    }
    return changes;
  }

  deliveryIds(): string[] {
    return [...this.byDelivery.keys()];
  }

  answers(deliveryId: string): readonly TimedAnswer[] {
    return this.byDelivery.get(deliveryId) ?? [];
  }

  /** deliveryIds with at least one accepted answer. */
  accepted(): string[] {
    return this.deliveryIds().filter((id) => this.answers(id).some(isAccepted));
  }

  /** How many answers of each kind: `201`, `503`, `connection-error`, … */
  statusCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const list of this.byDelivery.values()) {
      for (const a of list) {
        const key = a.status === 0 ? 'connection-error' : String(a.status);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    return new Map([...counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Every attempt sent between `from` and `to` (epoch ms), with its answer and its deliveryId. */
  sentBetween(from: number, to: number): Array<TimedAnswer & { deliveryId: string }> {
    return [...this.byDelivery].flatMap(([deliveryId, list]) =>
      list.filter((a) => a.sentAt >= from && a.sentAt <= to).map((a) => ({ ...a, deliveryId })),
    );
  }

  /** Answers the client retried (503, connection error, request_in_progress). */
  retriedCount(): number {
    let n = 0;
    for (const list of this.byDelivery.values()) n += list.filter(isRetryable).length;
    return n;
  }

  /** The run id in a deliveryId's accepted answers (a create's 201 and 202, a change's 200). */
  runId(deliveryId: string): string | undefined {
    for (const a of this.answers(deliveryId)) {
      if (!isAccepted(a)) continue;
      const id = (JSON.parse(a.body) as { id?: unknown }).id;
      if (typeof id === 'string') return id;
    }
    return undefined;
  }
}

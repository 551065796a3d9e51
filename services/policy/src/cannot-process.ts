import type { JetStreamClient } from '@nats-io/jetstream';
import type { RequestMessage } from '@jangar/contracts';
import { publishCannotProcess } from '@jangar/service-kit';
import type { Database } from '@jangar/service-kit/db';

/**
 * Why policy must not give up on a request it cannot process (the `declines` of a `GiveUp`), if it
 * must not: its attempt left something live — a kept decision (the provisioner may act on it), a
 * slot, a queued entry or a pending approval (a drainer or an approver may yet start the run). A
 * 500 then could be followed by the run, so such a message goes on being delivered, as every
 * message did before, with its failure in the log.
 */
export async function declineGivingUp(db: Database, message: RequestMessage): Promise<string | undefined> {
  const { requestKey, attempt } = message;
  const [row] = await db.query<{ live: boolean }>(
    `select exists(select 1 from policy.first_decisions where request_key = ? and attempt = ?)
         or exists(select 1 from policy.run_slots where request_key = ? and released_at is null)
         or exists(select 1 from policy.run_queue where request_key = ? and state = 'Queued')
         or exists(select 1 from policy.approvals where request_key = ? and state = 'Pending') as live`,
    [requestKey, attempt, requestKey, requestKey, requestKey],
  );
  return row?.live ? 'its attempt left a decision, a slot, a queued entry or an approval; a 500 could be followed by the run' : undefined;
}

/** Answers a request policy cannot process (the `answer` of a `GiveUp`) with its final `internal` outcome. */
export function answerCannotProcess(js: JetStreamClient, message: RequestMessage): Promise<void> {
  return publishCannotProcess(js, message, message.payload, 'policy');
}

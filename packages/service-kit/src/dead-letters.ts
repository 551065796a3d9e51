/**
 * The dead letters (`JANGAR_DEAD_LETTERS`): what a consumer gave up on, kept rather than lost.
 * A consumer parks a message it cannot process ({@link park}); an operator lists them and, once the
 * cause is fixed, publishes each again on the subject it came from ({@link replayDeadLetter}).
 */
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import {
  DEAD_LETTER_HEADERS,
  deadLetterInfo,
  dedupIds,
  REPLAY_FOR_HEADER,
  STREAM_NAMES,
  SUBJECTS,
  type DeadLetterInfo,
} from '@jangar/contracts';
import { isNotFound } from './nats.js';

/**
 * The longest error text a dead letter carries; the service's log has the rest. With the other
 * headers, a dead letter is at most about 2 KB larger than the message it parks.
 */
const ERROR_CHARS = 500;

/** How many dead letters a listing asks the server for at a time, and how long it waits for them. */
const LIST_BATCH = 256;
const LIST_WAIT_MS = 2_000;

/** A parked message: where it sits in the dead letters, why (unless its headers do not say), and its body as delivered. */
export interface DeadLetter {
  sequence: number;
  info: DeadLetterInfo | undefined;
  data: Uint8Array;
  headers: MsgHdrs;
}

/** The headers parking and replaying write, which a copy parked or replayed again writes afresh. */
const PARKING_HEADERS = new Set([...Object.values(DEAD_LETTER_HEADERS), REPLAY_FOR_HEADER].map((name) => name.toLowerCase()));

/** The headers of `from` a republished copy keeps: its own (trace, schema version), not the server's or the parking's. */
function ownHeaders(from: MsgHdrs | undefined): MsgHdrs {
  const h = natsHeaders();
  for (const name of from?.keys() ?? []) {
    const lower = name.toLowerCase();
    if (lower.startsWith('nats-') || PARKING_HEADERS.has(lower)) continue;
    for (const value of from!.values(name)) h.append(name, value);
  }
  return h;
}

/**
 * Parks `m`, which consumer `durable` gives up on: its body byte for byte, its own headers, and why
 * ({@link DeadLetterInfo}) in headers of their own. Every replica giving up on the same delivery
 * within the duplicate window parks it once.
 */
export async function park(
  js: JetStreamClient,
  durable: string,
  m: JsMsg,
  why: Pick<DeadLetterInfo, 'reason' | 'answered'>,
  err: unknown,
): Promise<void> {
  const h = ownHeaders(m.headers);
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const info: DeadLetterInfo = {
    consumer: durable,
    stream: m.info.stream,
    streamSequence: m.seq,
    subject: m.subject,
    deliveryCount: m.info.deliveryCount,
    ...why,
    // A header value is one line.
    error: text.replace(/\s+/g, ' ').slice(0, ERROR_CHARS) || '(no message)',
    parkedAt: new Date().toISOString(),
  };
  for (const [field, header] of Object.entries(DEAD_LETTER_HEADERS)) h.set(header, String(info[field as keyof DeadLetterInfo]));
  await js.publish(deadLetterSubject(durable, m.info.stream, m.seq), m.data, {
    msgID: dedupIds.deadLetter(m.info.stream, m.seq, durable),
    headers: h,
  });
}

/** The subject of the dead letter `durable` parks of message `sequence` of `stream`. */
function deadLetterSubject(durable: string, stream: string, sequence: number): string {
  return SUBJECTS.deadLetter.subject({ consumer: durable, stream, sequence: String(sequence) });
}

/** What the stream holds as a dead letter: why, if its headers say, and the message. */
function asDeadLetter(sequence: number, data: Uint8Array, headers: MsgHdrs = natsHeaders()): DeadLetter {
  // One that does not read as a dead letter (a later version's reason, a stray publish) is still listed.
  let info: DeadLetterInfo | undefined;
  try {
    info = deadLetterInfo(headers);
  } catch {
    info = undefined;
  }
  return { sequence, info, data, headers };
}

/**
 * The dead letter `durable` parked of message `sequence` of `stream`, if it parked one that is
 * still there (not replayed, not past the stream's 30 days, the stream not deleted).
 */
export async function findDeadLetter(
  jsm: JetStreamManager,
  durable: string,
  stream: string,
  sequence: number,
): Promise<DeadLetter | undefined> {
  const stored = await jsm.streams
    .getMessage(STREAM_NAMES.deadLetters, { last_by_subj: deadLetterSubject(durable, stream, sequence) })
    .catch((err: unknown) => {
      // Without the stream, nothing was parked: parking needs it.
      if (isNotFound(err)) return null;
      throw err;
    });
  return stored ? asDeadLetter(stored.seq, stored.data, stored.header) : undefined;
}

/**
 * Every dead letter, oldest first, or only those `consumer` parked, up to the last one there when
 * asked: read in batches by an ordered consumer of its own, deleted once the listing ends.
 */
export async function listDeadLetters(jsm: JetStreamManager, consumer?: string): Promise<DeadLetter[]> {
  const stream = STREAM_NAMES.deadLetters;
  const { state } = await jsm.streams.info(stream);
  if (state.messages === 0) return [];
  // Not filtered by subject: letters parked before their subjects named the message, and strays,
  // are told apart by their headers.
  const reader = await jsm.jetstream().consumers.get(stream);
  const letters: DeadLetter[] = [];
  try {
    // Letters replayed (so removed) meanwhile never come: a batch that comes back short after its
    // wait ends the listing, and the last sequence asked about ends it early.
    for (let done = false; !done;) {
      const batch = await reader.fetch({ max_messages: LIST_BATCH, expires: LIST_WAIT_MS });
      let got = 0;
      for await (const m of batch) {
        got++;
        const letter = asDeadLetter(m.seq, m.data, m.headers);
        if (consumer === undefined || letter.info?.consumer === consumer) letters.push(letter);
        if (m.seq >= state.last_seq || m.info.pending === 0) {
          done = true;
          break;
        }
      }
      if (got < LIST_BATCH) done = true;
    }
  } finally {
    // Else the server keeps it for its inactive threshold (5 minutes).
    await reader.delete().catch(() => false);
  }
  return letters;
}

/** True when the NATS subject filter `filter` (`*` one token, a last `>` one or more) takes `subject`. */
export function filterMatches(filter: string, subject: string): boolean {
  const wanted = filter.split('.');
  const tokens = subject.split('.');
  for (const [i, token] of wanted.entries()) {
    if (token === '>') return tokens.length > i;
    if (i >= tokens.length || (token !== '*' && token !== tokens[i])) return false;
  }
  return wanted.length === tokens.length;
}

/**
 * Publishes dead letter `sequence` again on the subject it came from, as it was delivered, for the
 * durable that parked it alone ({@link REPLAY_FOR_HEADER}), then removes it; not one that was
 * answered when given up on (its `answered`), nor one whose durable is gone or takes other subjects
 * now. One that fails again is parked again.
 */
export async function replayDeadLetter(js: JetStreamClient, jsm: JetStreamManager, sequence: number): Promise<DeadLetterInfo> {
  const stored = await jsm.streams.getMessage(STREAM_NAMES.deadLetters, { seq: sequence });
  if (!stored) throw new Error(`no dead letter ${sequence}`);
  let info: DeadLetterInfo;
  try {
    info = deadLetterInfo(stored.header);
  } catch {
    throw new Error(`message ${sequence} of the dead letters does not say why it is there, nor for which consumer; it cannot be replayed`);
  }
  if (info.answered) {
    throw new Error(
      `dead letter ${sequence} was answered 500 when ${info.consumer} gave up on it; publishing it again could carry out what that answer says did not happen. Its client must send the request again with a new deliveryId.`,
    );
  }
  // Every other durable passes a replay by: one for a durable renamed or retired since would be lost.
  const durable = await jsm.consumers.info(info.stream, info.consumer).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (!durable || !filterMatches(durable.config.filter_subject ?? '>', info.subject)) {
    throw new Error(
      `dead letter ${sequence} was parked by ${info.consumer}, which no longer takes ${info.subject} from ${info.stream}; no consumer would handle it again`,
    );
  }
  const h = ownHeaders(stored.header);
  h.set(REPLAY_FOR_HEADER, info.consumer);
  await js.publish(info.subject, stored.data, { msgID: `replay:${info.stream}:${info.streamSequence}:${sequence}`, headers: h });
  await jsm.streams.deleteMessage(STREAM_NAMES.deadLetters, sequence);
  return info;
}

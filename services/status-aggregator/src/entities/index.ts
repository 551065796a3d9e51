import { RunRecord } from './run-record.js';
import { WaitingRun } from './waiting-run.js';
import { WatchCursor } from './watch-cursor.js';

export { RunRecord, WaitingRun, WatchCursor };

/** Every table of the `status` schema, as the ORM knows it; a drift test holds them to the migrations. */
export const STATUS_ENTITIES = [RunRecord, WaitingRun, WatchCursor];

// The API's shapes, from the zod contracts the gateway validates with (types only: nothing of the
// contracts runs for these).
export type {
  AuditEventView,
  Condition,
  NormalizedRun,
  Problem,
  ResourceView,
  Revisions,
  RunHistory,
  RunHistoryEntry,
} from '@jangar/contracts';

/** A page of any list endpoint. */
export interface Page<T> {
  items: T[];
  continue?: string;
}

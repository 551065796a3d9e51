import { queryString } from '../api/client.js';

/** Audit events per page of a resource's trail. */
export const AUDIT_PAGE_SIZE = 100;

/** The request for one page of `resource`'s audit trail: the first, or the one the API's `continue` token names. */
export function auditTrailPath(resource: string, continueToken: string | undefined): string {
  return `/v1/audit${queryString({ resource, limit: AUDIT_PAGE_SIZE, continue: continueToken })}`;
}

/**
 * The where clauses and parameters that keep a list inside the caller's namespaces (`*` is every
 * one) and, when the query names one, inside that namespace.
 */
export function namespaceScope(q: { namespaces: readonly string[]; namespace?: string | undefined }): {
  where: string[];
  params: unknown[];
} {
  const where: string[] = [];
  const params: unknown[] = [];
  if (!q.namespaces.includes('*')) {
    // Knex expands a bound array into a list, so the set travels as one JSON value.
    where.push('namespace in (select jsonb_array_elements_text(?::jsonb))');
    params.push(JSON.stringify(q.namespaces));
  }
  if (q.namespace !== undefined) {
    where.push('namespace = ?');
    params.push(q.namespace);
  }
  return { where, params };
}

import type { IncomingMessage } from 'node:http';
import { ageOf } from './human-duration.js';
import { AGE_COLUMN } from './resources.js';
import type { ResourceDefinition } from './resources.js';
import type { KubeObject } from './types.js';

/** How much of each object a Table row carries (`includeObject`). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** A request's wish for server-side printing: the Table apiVersion and row payload. */
export interface TableRequest {
  apiVersion: string;
  include: IncludeObject;
}

/** Detects kubectl's `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` negotiation. */
export function tableRequest(req: IncomingMessage, includeObject: string | null): TableRequest | undefined {
  for (const range of (req.headers.accept ?? '').split(',')) {
    const params = new Map<string, string>();
    for (const param of range.split(';').slice(1)) {
      const [key = '', value = ''] = param.trim().split('=');
      params.set(key, value);
    }
    const version = params.get('v');
    if (params.get('as') === 'Table' && params.get('g') === 'meta.k8s.io' && (version === 'v1' || version === 'v1beta1')) {
      const include = includeObject === 'None' || includeObject === 'Object' ? includeObject : 'Metadata';
      return { apiVersion: `meta.k8s.io/${version}`, include };
    }
  }
  return undefined;
}

const CREATION_TIMESTAMP_DESCRIPTION = 'CreationTimestamp is a timestamp representing the server time when this object was created.';

function cellAt(obj: KubeObject, jsonPath: string): unknown {
  let cursor: unknown = obj;
  for (const part of jsonPath.slice(1).split('.')) {
    if (cursor === null || typeof cursor !== 'object') return null;
    cursor = (cursor as Record<string, unknown>)[part];
  }
  return cursor ?? null;
}

/** Renders objects as a meta.k8s.io Table, the way a CRD's printer columns do. */
export function toTable(
  res: ResourceDefinition,
  objects: readonly KubeObject[],
  request: TableRequest,
  listMeta: Record<string, unknown>,
  now: Date = new Date(),
): Record<string, unknown> {
  // As apiextensions-apiserver does: Name, then the declared columns, or Age when none are declared.
  const columns = res.printerColumns?.length ? res.printerColumns : [AGE_COLUMN];
  const columnDefinitions = [
    { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
    ...columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: '',
      description: c.jsonPath === AGE_COLUMN.jsonPath ? CREATION_TIMESTAMP_DESCRIPTION : c.jsonPath,
      priority: 0,
    })),
  ];
  const rows = objects.map((obj) => {
    const row: Record<string, unknown> = {
      // Like a CRD's table convertor, date columns are rendered as ages on the server.
      cells: [
        obj.metadata.name,
        ...columns.map((c) => (c.type === 'date' ? ageOf(cellAt(obj, c.jsonPath), now) : cellAt(obj, c.jsonPath))),
      ],
    };
    if (request.include === 'Object') row.object = obj;
    if (request.include === 'Metadata') {
      row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
    }
    return row;
  });
  return { kind: 'Table', apiVersion: request.apiVersion, metadata: listMeta, columnDefinitions, rows };
}

/// <reference types="node" />
// Shared by the CLI's and the web console's stream-follower tests; the console's tsconfig leaves Node's types out.
import type { ServerResponse } from 'node:http';

/** A run as a status event carries it, in `phase` at `resourceVersion`. */
export const statusRun = (phase: string, resourceVersion: string) => ({
  id: 'id-1',
  type: 'AgentRun',
  namespace: 'team-a',
  name: 'r1',
  uid: 'u',
  resourceVersion,
  labels: {},
  phase,
  conditions: [],
  createdAt: '2026-11-25T10:00:00Z',
  updatedAt: '2026-11-25T10:00:00Z',
});

/** Answers an event-stream request (headers once) and sends one status event with event id `id`; the connection stays open. */
export function sendStatus(res: ServerResponse, phase: string, id: string): void {
  if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
  res.write(`id: ${id}\nevent: status\ndata: ${JSON.stringify(statusRun(phase, id))}\n\n`);
}

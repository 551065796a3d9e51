import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, toApiError } from './api-error.js';

// kube-apiserver's own request body limit.
const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** The media type of a request, lower-cased and without parameters. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Reads and JSON-decodes a request body; an empty body yields undefined. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(400, 'BadRequest', 'the request body is too large (limit 3145728 bytes)');
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded as JSON: ${(err as Error).message}`);
  }
}

/** Sends a JSON body with the given status code. */
export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

/** Sends a plain-text body, as the health endpoints do. */
export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Sends any thrown value as a metav1.Status. */
export function sendError(res: ServerResponse, err: unknown): ApiError {
  const apiError = toApiError(err);
  if (!res.headersSent) sendJson(res, apiError.code, apiError.toStatus());
  else res.destroy();
  return apiError;
}

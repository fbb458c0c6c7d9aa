import 'server-only';
import { NextResponse, type NextRequest } from 'next/server';
import type { z } from 'zod';
import { withApiHeaders } from './api-headers';
import { AppError, fromZod, toAppError } from './errors';
import { log } from '../log';
import { requestIdFrom, runWithRequestContext } from './request-context';

export const MAX_BODY_BYTES = 64 * 1024;

export function requestId(req: Request): string {
  return requestIdFrom(req.headers.get('x-request-id'));
}

export function errorResponse(e: AppError, reqId: string) {
  return NextResponse.json(e.toBody(), {
    status: e.status,
    headers: { 'x-request-id': reqId, 'cache-control': 'no-store', ...(e.extra.headers ?? {}) },
  });
}

type Ctx<P> = { params: Promise<P> };

/**
 * Wraps a route handler: one place turns thrown errors into JSON answers and stamps the request id, the
 * API's Content-Security-Policy and (over https) HSTS, which proxy.ts does not for most API requests.
 * The handler runs inside the request context, so every log line it causes carries the id.
 */
export function route<P = Record<string, never>>(
  fn: (req: NextRequest, ctx: { params: P; requestId: string }) => Promise<Response>,
) {
  return async (req: NextRequest, ctx: Ctx<P>): Promise<Response> => {
    const reqId = requestId(req);
    return runWithRequestContext({ requestId: reqId }, () => handle(fn, req, ctx, reqId));
  };
}

async function handle<P>(
  fn: (req: NextRequest, ctx: { params: P; requestId: string }) => Promise<Response>,
  req: NextRequest,
  ctx: Ctx<P>,
  reqId: string,
): Promise<Response> {
  const started = performance.now();
  let res: Response;
  try {
    res = await fn(req, { params: await ctx.params, requestId: reqId });
    res.headers.set('x-request-id', reqId);
    if (!res.headers.has('cache-control')) res.headers.set('cache-control', 'no-store');
  } catch (e) {
    const err = toAppError(e);
    if (err.code === 'database_unavailable') {
      // Expected during an outage, one per request: the cause in a line, not a stack trace each time.
      const cause = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
      log.warn({ method: req.method, path: req.nextUrl.pathname, cause: cause.cause?.code ?? cause.code ?? cause.cause?.message ?? cause.message }, 'database unavailable');
    } else if (err.status >= 500) log.error({ err: e, method: req.method, path: req.nextUrl.pathname }, 'request failed');
    res = errorResponse(err, reqId);
  }
  res = withApiHeaders(res, reqId, req.nextUrl.protocol === 'https:');
  log.info(
    { method: req.method, path: req.nextUrl.pathname, status: res.status, ms: Math.round(performance.now() - started) },
    'request',
  );
  return res;
}

/**
 * For the methods a route lacks: Next would answer an empty 405; API clients get the JSON error and an
 * Allow header, like every other error.
 */
export function methodNotAllowed(...allowed: string[]) {
  return route<unknown>(async (req) => {
    throw new AppError(405, 'method_not_allowed', `${req.method} is not allowed here; use ${allowed.join(' or ')}.`, {
      headers: { Allow: allowed.join(', ') },
    });
  });
}

/** Reads a JSON body: 415 if not JSON, 413 if over 64 KB, 400 if malformed or not matching the schema. */
export async function readJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    throw new AppError(415, 'unsupported_media_type', 'Send the body as JSON with Content-Type: application/json.');
  }
  const declared = Number(req.headers.get('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const bytes = await readLimited(req, MAX_BODY_BYTES);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new AppError(400, 'malformed_json', 'The body is not valid JSON.');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw fromZod(parsed.error);
  return parsed.data;
}

const tooLarge = () => new AppError(413, 'payload_too_large', `The body is larger than ${MAX_BODY_BYTES / 1024} KB.`);

async function readLimited(req: Request, limit: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** Parses search params with a schema; 400 with the issues when they do not fit. */
export function readQuery<S extends z.ZodType>(req: NextRequest, schema: S): z.infer<S> {
  const parsed = schema.safeParse(Object.fromEntries(req.nextUrl.searchParams));
  if (!parsed.success) throw fromZod(parsed.error, 'The query string is not valid.');
  return parsed.data;
}

export function parseParams<S extends z.ZodType>(params: unknown, schema: S): z.infer<S> {
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw fromZod(parsed.error, 'The path is not valid.');
  return parsed.data;
}

/** If-Match: "<version>" (quotes and W/ optional). Absent -> undefined (the server retries on conflict). */
export function readIfMatch(req: Request): number | undefined {
  const raw = req.headers.get('if-match');
  if (raw === null) return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(raw);
  if (!m) throw new AppError(400, 'invalid_if_match', 'If-Match must be a cart version in quotes, e.g. "3".');
  return Number(m[1]);
}

export function readIdempotencyKey(req: Request): string | undefined {
  const raw = req.headers.get('idempotency-key');
  if (raw === null) return undefined;
  if (!/^[\x21-\x7e]{1,200}$/.test(raw)) {
    throw new AppError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 200 visible ASCII characters.');
  }
  return raw;
}

export function json(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}) {
  return NextResponse.json(body, init);
}

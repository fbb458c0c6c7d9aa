import { ZodError } from 'zod';
import { CartError } from '../cart/errors';
import { ConcurrencyError } from '../eventstore/errors';

export type ErrorBody = { error: { code: string; message: string; issues?: unknown[]; details?: Record<string, unknown> } };

/** The one error type the transport layers (route handlers, server actions) turn into answers. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { issues?: unknown[]; details?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.extra.issues ? { issues: this.extra.issues } : {}),
        ...(this.extra.details ? { details: this.extra.details } : {}),
      },
    };
  }
}

export const unauthorized = () => new AppError(401, 'unauthorized', 'Sign in first.');
export const forbidden = (message = 'You may not do this.') => new AppError(403, 'forbidden', message);
export const notFound = (code: string, message: string) => new AppError(404, code, message);

const statusOfKind = { conflict: 409, not_found: 404, invalid: 400 } as const;

export function fromZod(error: ZodError, message = 'The request is not valid.') {
  return new AppError(400, 'invalid_input', message, {
    issues: error.issues.map((i) => ({ path: i.path.map(String), code: i.code, message: i.message })),
  });
}

/** Maps anything thrown to an AppError; unknown errors become 500s (a bug: they get logged). */
export function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof CartError) return new AppError(statusOfKind[e.kind], e.code, e.message, { details: e.details });
  if (e instanceof ZodError) return fromZod(e);
  if (e instanceof ConcurrencyError) {
    return new AppError(409, 'version_conflict', 'The cart changed meanwhile; try again.', {
      details: { expected: e.expected, actual: e.actual },
    });
  }
  if (isDatabaseUnavailable(e)) {
    return new AppError(503, 'database_unavailable', 'The database is not reachable right now; try again shortly.', {
      headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    });
  }
  return new AppError(500, 'internal', 'Something went wrong on our side.');
}

/** What a client should wait before trying again while the database is away. */
export const RETRY_AFTER_SECONDS = 2;

// Node's socket errors when the server is gone, refuses, resets or cannot be found.
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN']);
// postgres.js's own codes for a connection that closed, ended, was destroyed or never opened in time.
const DRIVER_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT']);
// PostgreSQL: admin shutdown, crash shutdown, cannot connect now (starting up / shutting down), too many
// connections; class 08 is "connection exception".
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * Is this the database being unreachable (not a bug in a query)? drizzle wraps driver errors
 * (DrizzleQueryError: "Failed query ...") with the driver's error as `cause`, and Node may report a
 * failed connect as an AggregateError, so the whole chain is looked at.
 */
export function isDatabaseUnavailable(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== 'object' || depth > 5) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || DRIVER_CODES.has(code) || SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) {
    return true;
  }
  const nested = [(e as { cause?: unknown }).cause, ...((e as { errors?: unknown }).errors instanceof Array ? (e as { errors: unknown[] }).errors : [])];
  return nested.some((n) => isDatabaseUnavailable(n, depth + 1));
}

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
      headers: { 'Retry-After': '2' },
    });
  }
  return new AppError(500, 'internal', 'Something went wrong on our side.');
}

function isDatabaseUnavailable(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'CONNECTION_CLOSED' ||
    code === 'CONNECTION_ENDED' ||
    code === 'CONNECT_TIMEOUT' ||
    code === '57P01' || // admin shutdown
    code === '57P03' // cannot connect now
  );
}

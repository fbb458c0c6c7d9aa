import { describe, expect, it } from 'vitest';
import { CartError } from '../cart/errors';
import { ConcurrencyError } from '../eventstore/errors';
import { AppError, isDatabaseUnavailable, toAppError } from './errors';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('toAppError', () => {
  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'EPIPE',
    'ETIMEDOUT',
    'ENOTFOUND',
    'CONNECTION_CLOSED',
    'CONNECTION_ENDED',
    'CONNECTION_DESTROYED',
    'CONNECT_TIMEOUT',
    '57P01',
    '57P02',
    '57P03',
    '53300',
    '08006',
    '08001',
    '08P01',
  ])('%s is the database being unavailable: 503 database_unavailable with Retry-After', (code) => {
    const e = toAppError(withCode(code));
    expect({ status: e.status, code: e.code, retryAfter: e.extra.headers?.['Retry-After'] }).toEqual({
      status: 503,
      code: 'database_unavailable',
      retryAfter: '2',
    });
  });

  it('looks through drizzle wrapping (cause) and AggregateError (errors) for the driver error', () => {
    const drizzleLike = Object.assign(new Error('Failed query: select 1'), { cause: withCode('CONNECTION_CLOSED') });
    expect(isDatabaseUnavailable(drizzleLike)).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('outer'), { cause: drizzleLike }))).toBe(true);
  });

  it('query bugs and domain errors are not outages', () => {
    for (const code of ['23505', '42P01', '40001', 'ERR_INVALID_ARG_TYPE']) expect(isDatabaseUnavailable(withCode(code))).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
    expect(toAppError(new Error('boom'))).toMatchObject({ status: 500, code: 'internal' });
    expect(toAppError(new CartError('conflict', 'cart_closed', 'closed'))).toMatchObject({ status: 409, code: 'cart_closed' });
    expect(toAppError(new ConcurrencyError('s', 1, 2))).toMatchObject({ status: 409, code: 'version_conflict' });
    const given = new AppError(418, 'teapot', 't');
    expect(toAppError(given)).toBe(given);
  });

  it('a cycle of causes does not loop', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isDatabaseUnavailable(a)).toBe(false);
  });
});

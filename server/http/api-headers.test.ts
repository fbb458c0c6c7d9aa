import { NextRequest } from 'next/server';
import { describe, expect, it } from 'vitest';
import { API_POLICY, HSTS, withApiHeaders } from './api-headers';
import { AppError } from './errors';
import { route } from './respond';

// Most API requests skip proxy.ts (its matcher), so route() gives every answer the headers the proxy
// gave: the request id, the JSON-only policy and, over https, HSTS.
const params = { params: Promise.resolve({}) };

describe('API answers from route()', () => {
  const ok = route(async () => Response.json({ ok: true }));
  const failing = route(async () => {
    throw new AppError(409, 'conflict', 'no');
  });

  it('carry the request id, the API policy, and no HSTS over plain http', async () => {
    const res = await ok(new NextRequest('http://shop/api/t', { headers: { 'x-request-id': 'given-1' } }), params);
    expect(res.headers.get('x-request-id')).toBe('given-1');
    expect(res.headers.get('content-security-policy')).toBe(API_POLICY);
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  // Under `next start` the request's URL is https when the TLS proxy says X-Forwarded-Proto: https.
  it('over https HSTS too, errors included', async () => {
    const res = await failing(new NextRequest('https://shop/api/t'), params);
    expect(res.status).toBe(409);
    expect(res.headers.get('strict-transport-security')).toBe(HSTS);
    expect(res.headers.get('content-security-policy')).toBe(API_POLICY);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('withApiHeaders', () => {
  it('copies a response whose headers cannot be changed', async () => {
    const res = withApiHeaders(Response.redirect('http://shop/login', 302), 'id-1', false);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://shop/login');
    expect(res.headers.get('x-request-id')).toBe('id-1');
    expect(res.headers.get('content-security-policy')).toBe(API_POLICY);
  });
});

import { NextRequest } from 'next/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { createTestDatabase } from '@/server/testing/db';
import { GET } from './route';

const call = (headers: Record<string, string> = {}) => GET(new NextRequest('http://x/api/metrics', { headers }), { params: Promise.resolve({}) });

describe('GET /api/metrics and METRICS_TOKEN', () => {
  let h: DbHandle & { drop: () => Promise<void> };
  beforeAll(async () => {
    h = await createTestDatabase('pglite');
    setDbHandle(h);
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });
  afterEach(() => {
    delete process.env.METRICS_TOKEN;
  });

  it('is open without a token configured', async () => {
    const res = await call();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await res.text()).toContain('eventcart_subscriber_lag_events{subscriber="sales-daily"} 0');
  });

  it('with METRICS_TOKEN set, answers 401 JSON without the right bearer token and 200 with it', async () => {
    process.env.METRICS_TOKEN = 's3cret-token';
    for (const auth of [undefined, 'Bearer wrong', 'Bearer s3cret-toke', 'Basic s3cret-token', 's3cret-token']) {
      const res = await call(auth ? { authorization: auth } : {});
      expect(res.status, String(auth)).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
    const ok = await call({ authorization: 'Bearer s3cret-token' });
    expect(ok.status).toBe(200);
  });
});

import { Writable } from 'node:stream';
import { NextRequest } from 'next/server';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log';
import { currentRequestId, requestIdFrom, runWithRequestContext } from './request-context';
import { route } from './respond';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('request context', () => {
  it('every log line written inside the context carries its request id, across awaits; none outside', async () => {
    const { lines, logger } = capture();
    logger.info('before');
    await runWithRequestContext({ requestId: 'req-1' }, async () => {
      logger.info('first');
      await tick();
      logger.child({ module: 'eventstore' }).warn({ streamId: 's' }, 'deep inside');
      await Promise.all([
        runWithRequestContext({ requestId: 'req-2' }, async () => {
          await tick();
          logger.info('other request');
        }),
        (async () => {
          await tick();
          logger.info('still first');
        })(),
      ]);
    });
    logger.info('after');
    await tick();
    const byMsg = Object.fromEntries(lines.map((l) => [l.msg, l.requestId]));
    expect(byMsg).toEqual({
      before: undefined,
      first: 'req-1',
      'deep inside': 'req-1',
      'other request': 'req-2',
      'still first': 'req-1',
      after: undefined,
    });
  });

  it('keeps a well-formed incoming id and replaces a missing or malformed one with a uuid', () => {
    expect(requestIdFrom('abc-123.x:y_z')).toBe('abc-123.x:y_z');
    for (const bad of [null, undefined, '', 'has space', 'x'.repeat(129), 'new\nline', 'é']) {
      expect(requestIdFrom(bad)).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('route() runs the handler in the context of the X-Request-Id it was given and echoes it', async () => {
    let seen: string | undefined;
    const handler = route(async () => {
      await tick();
      seen = currentRequestId();
      return new Response('{}');
    });
    const res = await handler(new NextRequest('http://x/api/t', { headers: { 'x-request-id': 'given-id-42' } }), { params: Promise.resolve({}) });
    expect(seen).toBe('given-id-42');
    expect(res.headers.get('x-request-id')).toBe('given-id-42');
    expect(currentRequestId()).toBeUndefined();

    const fresh = await handler(new NextRequest('http://x/api/t'), { params: Promise.resolve({}) });
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen).toBe(fresh.headers.get('x-request-id'));
  });
});

import net from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from './client';

// What the app's postgres.js pool does against servers that misbehave, without a PostgreSQL server:
// each must end in an error the API maps to 503, never in a query that waits forever.

const accepted = new Set<net.Socket>();

async function listen(onConnection: (s: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer((s) => {
    accepted.add(s);
    onConnection(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return server;
}
const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

async function failure(url: string, connectTimeoutSeconds = 1) {
  const h = openDatabase({ url, poolMax: 2, connectTimeoutSeconds });
  const started = performance.now();
  try {
    const e = await h.db.execute(sql`select 1`).then(
      () => null,
      (err: unknown) => err as { code?: string; cause?: { code?: string } },
    );
    return { code: e?.cause?.code ?? e?.code, ms: performance.now() - started };
  } finally {
    void h.close().catch(() => {});
  }
}

describe('the postgres.js socket (db/pg-socket.ts)', () => {
  const servers: net.Server[] = [];
  let closesAtOnce: net.Server;
  let silent: net.Server;
  beforeAll(async () => {
    closesAtOnce = await listen((s) => s.end());
    silent = await listen(() => {});
    servers.push(closesAtOnce, silent);
  });
  afterAll(async () => {
    for (const s of accepted) s.destroy();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('a server that accepts and closes before the startup exchange: ECONNRESET at once (postgres.js alone retries forever)', async () => {
    const r = await failure(`postgres://u@127.0.0.1:${portOf(closesAtOnce)}/db`);
    expect(r.code).toBe('ECONNRESET');
    expect(r.ms).toBeLessThan(3_000);
  });

  it('a server that accepts and never answers: CONNECT_TIMEOUT after the connect timeout', async () => {
    const r = await failure(`postgres://u@127.0.0.1:${portOf(silent)}/db`, 1);
    expect(r.code).toBe('CONNECT_TIMEOUT');
    expect(r.ms).toBeLessThan(5_000);
  });

  it('nothing listening: ECONNREFUSED', async () => {
    const gone = await listen(() => {});
    const port = portOf(gone);
    await new Promise((r) => gone.close(r));
    const r = await failure(`postgres://u@127.0.0.1:${port}/db`);
    expect(r.code).toBe('ECONNREFUSED');
  });
});

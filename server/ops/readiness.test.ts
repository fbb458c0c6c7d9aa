import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DbHandle } from '@/db/client';
import { toAppError } from '@/server/http/errors';
import { createTestDatabase, testDbKinds } from '@/server/testing/db';
import { startTcpProxy, viaProxy, type TcpProxy } from '@/server/testing/tcp-proxy';
import { isKnownPostgresJsSocketBug } from '../process-guard';
import { checkReadiness, expectedMigrations } from './readiness';

type Handle = DbHandle & { drop: () => Promise<void>; url?: string };

for (const kind of testDbKinds()) {
  describe(`readiness on ${kind}`, () => {
    let h: Handle;
    beforeAll(async () => {
      h = await createTestDatabase(kind, 2);
    });
    afterAll(async () => {
      await h?.drop();
    });

    it('is ready when every journal migration is applied, and names the ones that are not', async () => {
      const journal = expectedMigrations();
      expect(journal.length).toBeGreaterThan(3);
      expect(await checkReadiness(h.db)).toEqual({ ready: true, migrations: journal.length });

      // A build newer than the database: one more migration in its journal than the database has.
      const newer = [...journal, { tag: '9999_from_the_future', when: 4_102_444_800_000 }];
      expect(await checkReadiness(h.db, newer)).toEqual({
        ready: false,
        code: 'migrations_pending',
        message: 'Migrations not applied: 9999_from_the_future.',
        missing: ['9999_from_the_future'],
      });

      // A database that never saw the last migration.
      const last = journal.at(-1)!;
      await h.db.execute(sql`delete from drizzle.__drizzle_migrations where created_at = ${last.when}`);
      expect(await checkReadiness(h.db)).toMatchObject({ ready: false, code: 'migrations_pending', missing: [last.tag] });

      // A database never migrated at all.
      await h.db.execute(sql`drop table drizzle.__drizzle_migrations`);
      const none = await checkReadiness(h.db);
      expect(none).toMatchObject({ ready: false, code: 'migrations_pending', missing: journal.map((m) => m.tag) });
    });
  });
}

// Only a server can go away: the database behind a proxy that drops every connection.
for (const kind of testDbKinds().filter((k) => k === 'postgres')) {
  describe(`an unreachable ${kind} database`, () => {
    let h: Handle;
    let proxy: TcpProxy;
    let app: DbHandle;
    beforeAll(async () => {
      h = await createTestDatabase(kind, 2);
      const target = new URL(h.url!);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      app = openDatabase({ url: viaProxy(h.url!, proxy.port), poolMax: 3, connectTimeoutSeconds: 3 });
    });
    afterAll(async () => {
      await app?.close().catch(() => {});
      await proxy?.close();
      await h?.drop();
    });

    it('is not ready (database_unavailable), its errors map to 503 with Retry-After, and the same pool recovers', async () => {
      expect(await checkReadiness(app.db)).toMatchObject({ ready: true });

      proxy.cut();
      const started = performance.now();
      expect(await checkReadiness(app.db)).toEqual({ ready: false, code: 'database_unavailable', message: 'The database is not reachable.' });
      const err = await app.db.execute(sql`select 1`).then(
        () => null,
        (e: unknown) => e,
      );
      const mapped = toAppError(err);
      expect({ status: mapped.status, code: mapped.code, retryAfter: mapped.extra.headers?.['Retry-After'] }).toEqual({
        status: 503,
        code: 'database_unavailable',
        retryAfter: '2',
      });
      // Not a hang: well inside the connect timeout plus slack.
      expect(performance.now() - started).toBeLessThan(8_000);
      // Nor slower and slower: postgres.js's own reconnect backoff grows to 20 s after a few failures
      // (each query waits it out); ours is capped at 1 s, so the tenth failure still answers at once.
      const latencies: number[] = [];
      for (let i = 0; i < 10; i++) {
        const t = performance.now();
        await app.db.execute(sql`select 1`).catch(() => {});
        latencies.push(performance.now() - t);
      }
      expect(Math.max(...latencies), latencies.map(Math.round).join(' ')).toBeLessThan(4_000);

      proxy.restore();
      expect(await checkReadiness(app.db)).toMatchObject({ ready: true });
    });

    it('a transaction whose connection drops mid-way is rolled back and answers 503, and nothing of it is stored', async () => {
      await app.db.execute(sql`create table if not exists outage_probe (id int primary key)`);
      // postgres.js then throws its known TypeError from a setImmediate (porsager/postgres#1208); the app
      // server survives it through installProcessGuard (instrumentation.ts). Here the same filter stands in
      // for it, in front of vitest's own listeners, which still get any other uncaught exception.
      const others = process.listeners('uncaughtException');
      const known: Error[] = [];
      process.removeAllListeners('uncaughtException');
      process.on('uncaughtException', (e, origin) => {
        if (isKnownPostgresJsSocketBug(e)) known.push(e);
        else for (const l of others) l(e, origin);
      });
      try {
        const tx = app.db.transaction(async (t) => {
          await t.execute(sql`insert into outage_probe values (1)`);
          proxy.cut();
          await t.execute(sql`insert into outage_probe values (2)`);
        });
        const err = await tx.then(
          () => null,
          (e: unknown) => e,
        );
        expect(toAppError(err)).toMatchObject({ status: 503, code: 'database_unavailable' });
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        process.removeAllListeners('uncaughtException');
        for (const l of others) process.on('uncaughtException', l);
      }
      expect(known.length, 'the known postgres.js TypeError (if this fails, a new postgres.js fixed it: drop the guard)').toBeGreaterThan(0);
      proxy.restore();
      const rows = (await h.db.execute(sql`select count(*)::int as n from outage_probe`)) as unknown as { n: number }[];
      expect(rows[0].n).toBe(0);
    });
  });
}

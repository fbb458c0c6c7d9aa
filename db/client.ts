import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { readDbEnv } from './env';
import { pgSocketFactory } from './pg-socket';
import { acquirePgliteLock } from './pglite-lock';
import * as schema from './schema';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

export type DbHandle = {
  db: Db;
  kind: 'pglite' | 'postgres';
  close: () => Promise<void>;
  /** Raw SQL on the underlying driver (migrations, advisory locks, test setup). */
  exec: (query: string) => Promise<void>;
  /**
   * LISTEN on a channel (server/live): PostgreSQL delivers NOTIFY on commit to every connection of every
   * app server; PGlite delivers it in-process. postgres.js keeps one extra connection for all listens and
   * listens again after it reconnects (then calls onListen again). Resolves to the unlisten function.
   */
  listen?: (channel: string, onPayload: (payload: string) => void, onListen?: () => void) => Promise<() => Promise<void>>;
};

/**
 * The postgres.js client as drizzle should see it: every statement prepared. drizzle asks postgres.js
 * for an unnamed statement (`prepare: false`) unless a query is given a name, and postgres.js then
 * describes each statement with parameters before running it (Parse/Describe/Flush, wait, then
 * Bind/Execute): two round trips per statement, and nothing sent behind it until the first comes back,
 * so no pipelining. Prepared (postgres.js's own default), a statement is parsed once per connection,
 * runs in one round trip and can be pipelined. Transactions and savepoints get the same client.
 */
export function preparingStatements(sql: postgres.Sql): postgres.Sql {
  type Fn = (...args: unknown[]) => unknown;
  return new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') {
        return (query: string, params?: unknown[], options?: Record<string, unknown>) =>
          target.unsafe(query, params as postgres.ParameterOrJSON<never>[], { ...options, prepare: true });
      }
      if (prop === 'begin' || prop === 'savepoint') {
        const inner = Reflect.get(target, prop, target) as Fn;
        // postgres.js reads the callback as the last argument (and counts the arguments): keep their number.
        return (...args: unknown[]) => {
          const fn = args[args.length - 1] as (s: postgres.Sql) => unknown;
          return inner(...args.slice(0, -1), (s: postgres.Sql) => fn(preparingStatements(s)));
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

export function openDatabase(opts: {
  url?: string;
  pgliteDir?: string;
  /** PGlite only: start from this data directory (a `dumpDataDir()` tarball) instead of running initdb. */
  pgliteDataDir?: Blob;
  poolMax?: number;
  connectTimeoutSeconds?: number;
}): DbHandle {
  if (opts.url) {
    const client = postgres(opts.url, {
      max: opts.poolMax ?? 10,
      onnotice: () => {},
      // Short, so a request during an outage answers 503 within a few seconds instead of hanging.
      connect_timeout: opts.connectTimeoutSeconds ?? 3,
      // Pause before reconnecting after failed attempts: postgres.js grows it to 20 s (3^n / 100 s), and a
      // query waits for it before its connection is even tried, so during an outage answers got slower
      // and slower, and the first ones after the database came back waited up to 20 s. Capped at 1 s
      // (jittered): still no hammering, and recovery within a second.
      backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, 1),
      // Ours, so a connection the server drops during startup fails instead of hanging (see pg-socket.ts).
      // (A documented option that the 3.4.9 type definitions leave out.)
      ...({ socket: pgSocketFactory(opts.connectTimeoutSeconds ?? 3) } as object),
      idle_timeout: 30,
    });
    const db = drizzlePostgres(preparingStatements(client), { schema }) as unknown as Db;
    return {
      db,
      kind: 'postgres',
      close: () => client.end({ timeout: 5 }),
      exec: async (q) => {
        await client.unsafe(q);
      },
      listen: async (channel, onPayload, onListen) => (await client.listen(channel, onPayload, onListen)).unlisten,
    };
  }
  const dir = opts.pgliteDir ?? '.data/pglite';
  let release = () => {};
  let client: PGlite;
  const pgliteOptions = opts.pgliteDataDir ? { loadDataDir: opts.pgliteDataDir } : {};
  if (dir.startsWith('memory://')) {
    client = new PGlite(dir, pgliteOptions);
  } else {
    fs.mkdirSync(path.dirname(path.resolve(/*turbopackIgnore: true*/ dir)), { recursive: true });
    release = acquirePgliteLock(dir);
    client = new PGlite(path.resolve(/*turbopackIgnore: true*/ dir), pgliteOptions);
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    close: async () => {
      await client.close();
      release();
    },
    exec: async (q) => {
      await client.exec(q);
    },
    listen: async (channel, onPayload, onListen) => {
      const unlisten = await client.listen(channel, onPayload);
      onListen?.();
      return () => unlisten();
    },
  };
}

const globalForDb = globalThis as unknown as { __eventcartDb?: DbHandle };

/** The process-wide database: postgres.js pool when DATABASE_URL is set, else embedded PGlite. */
export function getDbHandle(): DbHandle {
  if (!globalForDb.__eventcartDb) {
    const env = readDbEnv();
    globalForDb.__eventcartDb = openDatabase({
      url: env.DATABASE_URL,
      pgliteDir: env.PGLITE_DIR,
      poolMax: env.DATABASE_POOL_MAX,
      connectTimeoutSeconds: env.DATABASE_CONNECT_TIMEOUT,
    });
  }
  return globalForDb.__eventcartDb;
}

export function getDb(): Db {
  return getDbHandle().db;
}

/** Tests point the app's modules at a database of their own. */
export function setDbHandle(handle: DbHandle | undefined) {
  globalForDb.__eventcartDb = handle;
}

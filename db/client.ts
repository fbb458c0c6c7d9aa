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
 * runs in one round trip and can be pipelined.
 *
 * Transactions (`begin`, what drizzle's `transaction` calls) are our own, on a reserved connection:
 * postgres.js's `begin` waits for BEGIN to come back before the first statement goes out, and for the
 * last statement's answer before it sends COMMIT. Here BEGIN leaves with the first statements, and a
 * caller that has sent its last statement can send COMMIT behind it at once (`commitWithoutWaiting`):
 * a command is two round trips instead of four, and its row locks are held for less time.
 */
export function preparingStatements(sql: postgres.Sql): postgres.Sql {
  return new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') return preparedUnsafe(target);
      if (prop === 'begin') return (...args: unknown[]) => pipelinedTransaction(target, args);
      return Reflect.get(target, prop, receiver);
    },
  });
}

const preparedUnsafe =
  (target: postgres.Sql) =>
  (query: string, params?: unknown[], options?: Record<string, unknown>) =>
    target.unsafe(query, params as postgres.ParameterOrJSON<never>[], { ...options, prepare: true });

const COMMIT_NOW = Symbol('commitNow');

/** A statement to send right behind the COMMIT, outside the transaction (see commitWithoutWaiting). */
export type AfterCommit = { text: string; params: unknown[]; onError: (e: unknown) => void };

/**
 * In a transaction of ours on PostgreSQL (see preparingStatements): sends COMMIT now, behind the
 * statements already sent, instead of after the callback returns; the promise settles with the commit.
 * If a statement before it failed, PostgreSQL answers the COMMIT with a rollback and the promise rejects.
 * Call it only once nothing else is to be sent in the transaction. Elsewhere (PGlite, a savepoint, a
 * caller's transaction handed down) it returns undefined and the transaction commits as usual.
 *
 * `then`: one statement sent right behind the COMMIT on the same connection, in the same round trip,
 * in a transaction of its own; it runs even when the COMMIT turned into a rollback. Its failure goes to
 * `onError`, not to the promise (the transaction has committed by then).
 */
export function commitWithoutWaiting(tx: unknown, then?: AfterCommit): Promise<void> | undefined {
  const client = (tx as { session?: { client?: Record<symbol, unknown> } })?.session?.client;
  const commit = client?.[COMMIT_NOW] as ((then?: AfterCommit) => Promise<void>) | undefined;
  return commit?.(then);
}

type Query = Promise<{ command?: string }>;

/** Resolves once `count()` has not changed for 4 promise steps in a row (at most 200 steps). */
async function quiet(count: () => number): Promise<void> {
  let last = count();
  for (let steps = 0, still = 0; still < 4 && steps < 200; steps++) {
    await null;
    const now = count();
    still = now === last ? still + 1 : 0;
    last = now;
  }
}

async function pipelinedTransaction(pool: postgres.Sql, args: unknown[]): Promise<unknown> {
  // postgres.js's signature: begin([options,] fn).
  const fn = args[args.length - 1] as (s: postgres.Sql) => unknown;
  const options = args.length > 1 ? String(args[0]).replace(/[^a-z ]/gi, '') : '';
  const conn = await pool.reserve();
  let committing: Query | undefined;
  let commitSent = false;
  let handed = 0;
  let following: Promise<unknown> | undefined;
  const send = (q: string): Query => {
    const p = conn.unsafe(q) as unknown as Query;
    p.catch(() => {}); // sends it now (postgres.js queries go out when awaited); awaited below
    return p;
  };
  const ended = (r: { command?: string }) => {
    if (r.command === 'ROLLBACK') throw new Error('the transaction was rolled back: a statement in it failed');
  };
  let savepoints = 0;
  const scope = (): postgres.Sql =>
    new Proxy(conn, {
      get(target, prop, receiver) {
        if (prop === 'unsafe') {
          const unsafe = preparedUnsafe(target);
          return (...a: Parameters<typeof unsafe>) => {
            // Fail loudly rather than run a statement outside the transaction.
            if (commitSent) throw new Error('a statement was sent after the transaction asked to commit');
            handed++;
            return unsafe(...a);
          };
        }
        if (prop === COMMIT_NOW) {
          return (then?: AfterCommit) => {
            // drizzle hands a statement to postgres.js a few promise steps after the call that sends it: the
            // COMMIT waits until no statement has been handed over for a few steps, so that every statement
            // already sent is queued before it. Still in this turn of the event loop, so postgres.js writes
            // them all to the socket together (it flushes once per turn).
            committing ??= quiet(() => handed).then(() => {
              commitSent = true;
              const commit = send('commit');
              if (then) {
                following = Promise.resolve(conn.unsafe(then.text, then.params as postgres.ParameterOrJSON<never>[], { prepare: true })).catch(then.onError);
              }
              return commit;
            });
            return committing.then(ended);
          };
        }
        if (prop === 'savepoint') {
          return async (...a: unknown[]) => {
            const inner = a[a.length - 1] as (s: postgres.Sql) => unknown;
            const name = `s${++savepoints}`;
            await conn.unsafe(`savepoint ${name}`);
            try {
              const result = await inner(savepointScope());
              await conn.unsafe(`release savepoint ${name}`);
              return result;
            } catch (e) {
              await conn.unsafe(`rollback to savepoint ${name}`);
              throw e;
            }
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    }) as unknown as postgres.Sql;
  // A savepoint's callback gets the same connection, without the early commit.
  const savepointScope = (): postgres.Sql => {
    const s = scope();
    return new Proxy(s, { get: (t, prop, r) => (prop === COMMIT_NOW ? undefined : Reflect.get(t, prop, r)) });
  };
  // If the connection drops, a statement sent on it may never be answered: like postgres.js's own begin,
  // the transaction fails when the connection closes (postgres.js then takes the connection back itself).
  let closed = false;
  let onClose: (e: unknown) => void = () => {};
  const whenClosed = new Promise<never>((_, reject) => (onClose = reject));
  whenClosed.catch(() => {});
  const unlessClosed = <T>(p: Promise<T>) => Promise.race([p, whenClosed]);
  const begun = conn.unsafe(`begin ${options}`, [], {
    // postgres.js calls this with the connection once BEGIN is written; true lets the statements behind it follow at once.
    onexecute: (c: { onclose?: (e: unknown) => void }) => {
      c.onclose = (e) => {
        closed = true;
        onClose(e);
      };
      return true;
    },
  } as object) as unknown as Query;
  begun.catch(() => {});
  try {
    const result = await unlessClosed(Promise.resolve(fn(scope())));
    await unlessClosed(begun);
    ended(await unlessClosed(committing ?? send('commit')));
    return result;
  } catch (e) {
    if (!closed) {
      await begun.catch(() => {});
      if (committing) await unlessClosed(committing).catch(() => {});
      else await unlessClosed(conn.unsafe('rollback')).catch(() => {});
    }
    throw e;
  } finally {
    if (!closed) {
      await unlessClosed(Promise.resolve(following)).catch(() => {});
      if (!closed) conn.release();
    }
  }
}

export function openDatabase(opts: { url?: string; pgliteDir?: string; poolMax?: number; connectTimeoutSeconds?: number }): DbHandle {
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
  if (dir.startsWith('memory://')) {
    client = new PGlite(dir);
  } else {
    fs.mkdirSync(path.dirname(path.resolve(/*turbopackIgnore: true*/ dir)), { recursive: true });
    release = acquirePgliteLock(dir);
    client = new PGlite(path.resolve(/*turbopackIgnore: true*/ dir));
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

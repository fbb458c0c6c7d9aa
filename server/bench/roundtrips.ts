// Statement log of one AddItem (npx tsx --conditions=react-server server/bench/roundtrips.ts [idem] [--full]): every
// statement the handler sends on a scratch database, grouped by the event-loop turn that
// sent it (statements sent in one turn travel together: one round trip).
import net from 'node:net';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { preparingStatements, setDbHandle, type Db } from '../../db/client';
import * as schema from '../../db/schema';
import { addItem } from '../cart/handler';
import { cartIdOf, createScratch, LOCAL_SERVER, ownerOf, prepareScratch } from './common';

async function main() {
  const scratch = await createScratch(LOCAL_SERVER);
  try {
    await prepareScratch(scratch.url);
    let turn = 0;
    let on = false;
    const tick = setInterval(() => {}, 1000);
    const bump = () => {
      turn++;
      if (on) setImmediate(bump);
    };
    const log: { turn: number; sql: string }[] = [];
    // Socket writes: postgres.js flushes what it has to send once per turn. A write after an answer came
    // back starts a round trip; a write while nothing has come back since the last one (a COMMIT sent
    // behind the writes without waiting for them) travels in the same trip.
    let writes = 0;
    let trips = 0;
    let answered = true;
    const write = net.Socket.prototype.write;
    net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) {
      if (on) {
        writes++;
        if (answered) trips++;
        answered = false;
      }
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof write;
    const emit = net.Socket.prototype.emit;
    net.Socket.prototype.emit = function (this: net.Socket, event: string | symbol, ...args: unknown[]) {
      if (on && event === 'data') answered = true;
      return (emit as (...a: unknown[]) => boolean).call(this, event, ...args);
    } as typeof emit;
    const client = postgres(scratch.url, {
      max: 1,
      onnotice: () => {},
      debug: (_c, q) => {
        if (on) log.push({ turn, sql: q.trim().replace(/\s+/g, ' ') });
      },
    });
    const db = drizzle(preparingStatements(client), { schema }) as unknown as Db;
    setDbHandle({ db, kind: 'postgres', close: () => client.end(), exec: async (q) => void (await client.unsafe(q)) });
    const ctx = { actor: { userId: ownerOf(7), role: 'shopper' as const } };
    // `idem`: with an Idempotency-Key. The first command prepares the statements on the connection.
    const withKey = (k: string) => (process.argv[2] === 'idem' ? { ...ctx, idempotencyKey: `${k}-${Date.now()}` } : ctx);
    await addItem(withKey('warm'), cartIdOf('ours', 7), { productId: 'ceramic-mug', quantity: 1 });
    on = true;
    setImmediate(bump);
    await addItem(withKey('k'), cartIdOf('ours', 7), { productId: 'ceramic-mug', quantity: 1 });
    on = false;
    clearInterval(tick);
    const turns = [...new Set(log.map((l) => l.turn))];
    console.log(`${log.length} statements, sent in ${turns.length} event-loop turns; ${writes} socket writes, ${trips} round trips (a write sent before any answer came back shares the trip)`);
    for (const [i, t] of turns.entries()) {
      for (const l of log.filter((x) => x.turn === t)) console.log(`${i + 1}. ${l.sql.length > 150 && !process.argv.includes('--full') ? l.sql.slice(0, 147) + '...' : l.sql}`);
    }
    await client.end();
  } finally {
    await scratch.drop();
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// A subscriber in a process of its own, for the test that kills it with SIGKILL between handling a
// batch and writing the checkpoint (server/eventstore/subscriptions.test.ts). It handles one batch,
// records the deliveries, reports them on stdout and then hangs with its transaction open.
import { sql } from 'drizzle-orm';
import { openDatabase } from '@/db/client';
import { runSubscriber } from '@/server/eventstore/subscriptions';

const url = process.env.CHILD_DATABASE_URL;
const name = process.env.CHILD_SUBSCRIBER;
if (!url || !name) throw new Error('CHILD_DATABASE_URL and CHILD_SUBSCRIBER are required');

const handle = openDatabase({ url, poolMax: 1 });

runSubscriber(handle.db, {
  name,
  batchSize: Number(process.env.CHILD_BATCH_SIZE ?? 3),
  async handle(tx, events) {
    for (const e of events) {
      await tx.execute(
        sql`insert into deliveries (subscriber, global_position, transaction_id) values (${name}, ${e.globalPosition}, ${e.transactionId})`,
      );
    }
    process.stdout.write(`handled ${JSON.stringify(events.map((e) => e.globalPosition))}\n`);
    await new Promise(() => {}); // "killed" before the checkpoint: the parent sends SIGKILL now
  },
}).then(
  (r) => {
    process.stdout.write(`nothing ${JSON.stringify(r)}\n`);
    process.exit(0);
  },
  (e) => {
    process.stderr.write(`failed ${String(e)}\n`);
    process.exit(1);
  },
);

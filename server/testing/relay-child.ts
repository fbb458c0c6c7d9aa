// An outbox relay in a process of its own, for the test that kills it with SIGKILL between publishing
// a message to NATS JetStream and marking it published (server/outbox/nats.test.ts). It publishes
// CHILD_PUBLISH_COUNT messages, reports the last one's id on stdout and hangs before marking it.
import { openDatabase } from '@/db/client';
import { createNatsPublisher } from '@/server/outbox/nats';
import { relayOnce } from '@/server/outbox/relay';

const url = process.env.CHILD_DATABASE_URL;
const nats = process.env.CHILD_NATS_URL;
const stream = process.env.CHILD_NATS_STREAM;
const prefix = process.env.CHILD_NATS_SUBJECT_PREFIX;
if (!url || !nats || !stream || !prefix) throw new Error('CHILD_DATABASE_URL and CHILD_NATS_* are required');
const stopAfter = Number(process.env.CHILD_PUBLISH_COUNT ?? 1);

const handle = openDatabase({ url, poolMax: 1 });
const publisher = await createNatsPublisher({ url: nats, stream, prefix });
let published = 0;
await relayOnce(handle.db, publisher, {
  afterPublish: async (m) => {
    if (++published < stopAfter) return;
    process.stdout.write(`published ${m.messageId} ${publisher.lastAck?.seq}\n`);
    await new Promise(() => {}); // killed here, before the mark
  },
});
process.stdout.write('nothing\n');
process.exit(0);

import 'server-only';
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  JSONCodec,
  nanos,
  StorageType,
  type JetStreamManager,
  type NatsConnection,
} from 'nats';
import type { Db } from '@/db/client';
import { log } from '../log';
import { consumeOnce } from './consume';
import type { IntegrationConsumer, IntegrationMessage, Publisher } from './types';

export type NatsOptions = { url: string; stream: string; prefix: string };

const codec = JSONCodec<IntegrationMessage>();
/** JetStream drops a repeated message id inside this window: a relay that republishes after a crash. */
const DUPLICATE_WINDOW_MS = 10 * 60_000;

export const natsSubject = (prefix: string, subject: string) => `${prefix}.${subject}`;

export function connectNats(url: string, name: string): Promise<NatsConnection> {
  return connect({ servers: url, name, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 1000, timeout: 3000 });
}

/** The stream holding every subject under the prefix; created when missing, left alone otherwise. */
export async function ensureStream(jsm: JetStreamManager, opts: NatsOptions): Promise<void> {
  try {
    await jsm.streams.info(opts.stream);
  } catch {
    await jsm.streams.add({
      name: opts.stream,
      subjects: [`${opts.prefix}.>`],
      storage: StorageType.File,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    });
  }
}

export type NatsPublisher = Publisher & { lastAck?: { seq: number; duplicate: boolean } };

/** Publishes to JetStream with the message id as Nats-Msg-Id; resolves on the stream's ack. */
export async function createNatsPublisher(opts: NatsOptions): Promise<NatsPublisher> {
  const nc = await connectNats(opts.url, 'eventcart-outbox-relay');
  await ensureStream(await nc.jetstreamManager(), opts);
  const js = nc.jetstream();
  const publisher: NatsPublisher = {
    name: 'nats',
    publish: async (m) => {
      const ack = await js.publish(natsSubject(opts.prefix, m.subject), codec.encode(m), { msgID: m.messageId, timeout: 5000 });
      publisher.lastAck = { seq: ack.seq, duplicate: ack.duplicate };
    },
    close: () => nc.drain(),
  };
  return publisher;
}

/**
 * Each consumer reads the stream through its own durable JetStream consumer (named after it), one
 * message at a time (max_ack_pending 1) so it sees a cart's messages in order, and acks after its
 * transaction commits. A failure naks the message for a retry; consumeOnce skips repeats by id.
 */
export async function startNatsConsumers(
  consumers: IntegrationConsumer[],
  db: () => Db,
  opts: NatsOptions,
): Promise<{ stop: () => Promise<void> }> {
  const nc = await connectNats(opts.url, 'eventcart-consumers');
  const jsm = await nc.jetstreamManager();
  await ensureStream(jsm, opts);
  const js = nc.jetstream();
  const loops: Promise<void>[] = [];
  const iterators: { stop: () => void }[] = [];
  for (const consumer of consumers) {
    const durable = consumer.name.replace(/[^A-Za-z0-9_-]/g, '_');
    try {
      await jsm.consumers.info(opts.stream, durable);
    } catch {
      await jsm.consumers.add(opts.stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        // One subject filters on the server; several (filter_subjects needs NATS 2.10) read the whole
        // prefix and consumeOnce passes over the subjects the consumer does not take.
        filter_subject: consumer.subjects.length === 1 ? natsSubject(opts.prefix, consumer.subjects[0]) : `${opts.prefix}.>`,
        max_ack_pending: 1,
        ack_wait: nanos(30_000),
      });
    }
    const messages = await (await js.consumers.get(opts.stream, durable)).consume({ max_messages: 1 });
    iterators.push(messages);
    loops.push(
      (async () => {
        for await (const m of messages) {
          try {
            await consumeOnce(db(), consumer, codec.decode(m.data));
            m.ack();
          } catch (e) {
            log.warn({ err: e, consumer: consumer.name, seq: m.seq }, 'integration message failed; it will be redelivered');
            m.nak(2000);
          }
        }
      })(),
    );
  }
  return {
    stop: async () => {
      for (const it of iterators) it.stop();
      await Promise.allSettled(loops);
      await nc.drain().catch(() => {});
    },
  };
}

import 'server-only';
import { getDb, type Db } from '@/db/client';
import { log } from '../log';
import { orderNotifications } from '../notifications/consumer';
import { readOutboxEnv, type OutboxEnv } from './env';
import { inProcessPublisher } from './in-process';
import { createNatsPublisher, startNatsConsumers } from './nats';
import { createRelay, type Relay } from './relay';
import type { IntegrationConsumer } from './types';

export { enqueue } from './write';
export type { IntegrationConsumer, IntegrationMessage, NewIntegrationMessage } from './types';

/** Every consumer of integration messages this app runs. */
export const integrationConsumers: IntegrationConsumer[] = [orderNotifications];

type Running = { relay: Relay | null; stopConsumers: () => Promise<void>; closePublisher: () => Promise<void> };
let running: Promise<Running | null> | null = null;

/**
 * Starts the relay and the consumers in this process: with NATS_URL the relay publishes to JetStream
 * and the consumers read it through durable consumers; without, the relay hands messages to the
 * consumers directly. OUTBOX_RELAY=0 starts neither (messages wait in the outbox).
 */
export function startOutbox(opts: { env?: OutboxEnv; db?: () => Db; consumers?: IntegrationConsumer[] } = {}) {
  const env = opts.env ?? readOutboxEnv();
  if (!env.OUTBOX_RELAY) return null;
  const db = opts.db ?? getDb;
  const consumers = opts.consumers ?? integrationConsumers;
  running ??= (async () => {
    if (env.NATS_URL) {
      const nats = { url: env.NATS_URL, stream: env.NATS_STREAM, prefix: env.NATS_SUBJECT_PREFIX };
      try {
        const publisher = await createNatsPublisher(nats);
        const sub = await startNatsConsumers(consumers, db, nats);
        const relay = createRelay({ publisher, db, pollMs: env.OUTBOX_POLL_MS });
        log.info({ stream: env.NATS_STREAM }, 'outbox relay publishes to NATS JetStream');
        return { relay, stopConsumers: sub.stop, closePublisher: async () => publisher.close?.() };
      } catch (e) {
        // The shop keeps taking orders: messages wait in the outbox until a restart reaches NATS.
        log.error({ err: e }, 'NATS is not reachable: the outbox relay is not running');
        return null;
      }
    }
    const relay = createRelay({ publisher: inProcessPublisher(consumers, db), db, pollMs: env.OUTBOX_POLL_MS });
    return { relay, stopConsumers: async () => {}, closePublisher: async () => {} };
  })();
  return running;
}

export async function stopOutbox(): Promise<void> {
  const r = await running;
  running = null;
  if (!r) return;
  await r.relay?.stop();
  await r.stopConsumers();
  await r.closePublisher();
}

import 'server-only';
import type { Db } from '@/db/client';
import { consumeOnce } from './consume';
import type { IntegrationConsumer, IntegrationMessage, Publisher } from './types';

/**
 * Without NATS_URL: the relay hands each message to the consumers in this process, in outbox order.
 * A consumer that fails makes the publish fail, so the relay retries the message (and holds back the
 * ones after it); the consumers that had handled it skip the repeat.
 */
export function inProcessPublisher(consumers: IntegrationConsumer[], db: () => Db): Publisher {
  return {
    name: 'in-process',
    publish: async (message: IntegrationMessage) => {
      for (const c of consumers) await consumeOnce(db(), c, message);
    },
  };
}

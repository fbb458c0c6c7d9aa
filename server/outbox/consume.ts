import 'server-only';
import type { Db } from '@/db/client';
import { processedMessages } from '@/db/schema';
import type { IntegrationConsumer, IntegrationMessage } from './types';

/**
 * Delivery is at least once, so a consumer may see a message again (a relay that crashed after
 * publishing, a JetStream redelivery). The message id is recorded in the transaction of the
 * consumer's work: a repeat finds it and does nothing. Returns whether the message was handled now.
 */
export async function consumeOnce(db: Db, consumer: IntegrationConsumer, message: IntegrationMessage): Promise<boolean> {
  if (!consumer.subjects.includes(message.subject)) return false;
  return db.transaction(async (tx) => {
    const fresh = await tx
      .insert(processedMessages)
      .values({ consumer: consumer.name, messageId: message.messageId })
      .onConflictDoNothing()
      .returning({ id: processedMessages.messageId });
    if (fresh.length === 0) return false;
    await consumer.handle(tx, message);
    return true;
  });
}

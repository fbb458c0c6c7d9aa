import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { notifications, outbox, processedMessages } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import { createTestDatabase } from '@/server/testing/db';
import { startSmtpSink } from '@/server/testing/smtp-sink';
import { addItem, checkOut, openCart } from '../cart/handler';
import { consumeOnce } from '../outbox/consume';
import { toMessage } from '../outbox/relay';
import { orderNotifications } from './consumer';

// Mail goes over real SMTP (nodemailer) to a loopback server; the database part is the same on both
// kinds and is covered by server/outbox tests, so PGlite keeps this quick.
describe('order confirmations by SMTP', () => {
  let h: DbHandle & { drop: () => Promise<void> };
  const saved = process.env.SMTP_URL;
  beforeAll(async () => {
    h = await createTestDatabase('pglite');
    await seedDemo(h.db);
    setDbHandle(h);
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.SMTP_URL;
    else process.env.SMTP_URL = saved;
    setDbHandle(undefined);
    await h?.drop();
  });

  async function confirmedMessage() {
    const ctx = { actor: { userId: 'user-alice', role: 'shopper' as const } };
    const { cartId } = await openCart(ctx);
    await addItem(ctx, cartId, { productId: 'espresso-beans', quantity: 2 });
    const { orderId } = await checkOut(ctx, cartId);
    const [row] = await h.db.select().from(outbox).where(and(eq(outbox.partitionKey, cartId), eq(outbox.subject, 'order.confirmed')));
    return { orderId: orderId!, message: toMessage(row) };
  }

  it('sends the confirmation to the shopper and records it as sent', async () => {
    const sink = await startSmtpSink();
    process.env.SMTP_URL = sink.url;
    try {
      const { orderId, message } = await confirmedMessage();
      expect(await consumeOnce(h.db, orderNotifications, message)).toBe(true);
      expect(sink.mails).toHaveLength(1);
      expect(sink.mails[0].to).toEqual(['<alice@example.com>']);
      expect(sink.mails[0].data).toContain(`Subject: Your eventcart order ${orderId} is confirmed`);
      const [row] = await h.db.select().from(notifications).where(eq(notifications.orderId, orderId));
      expect(row).toMatchObject({ channel: 'smtp', status: 'sent', recipient: 'alice@example.com' });
      expect(row.sentAt).toBeInstanceOf(Date);
      // The same message again sends nothing.
      expect(await consumeOnce(h.db, orderNotifications, message)).toBe(false);
      expect(sink.mails).toHaveLength(1);
    } finally {
      await sink.close();
    }
  });

  it('a refused send records nothing, so the message is delivered again and retried', async () => {
    const sink = await startSmtpSink({ reject: true });
    process.env.SMTP_URL = sink.url;
    try {
      const { orderId, message } = await confirmedMessage();
      await expect(consumeOnce(h.db, orderNotifications, message)).rejects.toThrow(/550|no such mailbox/i);
      expect(await h.db.select().from(notifications).where(eq(notifications.orderId, orderId))).toHaveLength(0);
      expect(await h.db.select().from(processedMessages).where(eq(processedMessages.messageId, message.messageId))).toHaveLength(0);
    } finally {
      await sink.close();
    }
  });
});

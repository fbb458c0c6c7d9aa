import 'server-only';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { notifications, users } from '@/db/schema';
import type { IntegrationConsumer } from '../outbox/types';
import { readMailEnv, smtpTransport } from './mailer';
import { renderOrderConfirmation, renderOrderFailed, type FailedOrder } from './render';

/**
 * Order confirmations (order.confirmed) and failures (order.failed: why, nothing charged). With SMTP_URL the message is sent and recorded as sent; without it, it is kept
 * in the notifications table (listed at /admin/notifications and on the order page). A failed send
 * throws, so the message is delivered again and retried; one sent twice is the price of at least once
 * when a crash falls between the send and the commit.
 */
export const orderNotifications: IntegrationConsumer = {
  name: 'order-notifications',
  subjects: ['order.confirmed', 'order.failed'],
  handle: async (tx, message) => {
    const order = message.payload as FailedOrder & { userId: string };
    const failed = message.subject === 'order.failed';
    const [user] = await tx.select({ email: users.email, name: users.name }).from(users).where(eq(users.id, order.userId));
    const env = readMailEnv();
    const base = env.PUBLIC_URL ?? `http://localhost:${process.env.PORT ?? 3000}`;
    const render = failed ? renderOrderFailed : renderOrderConfirmation;
    const rendered = render(order, user?.name ?? 'there', `${base}/orders/${order.orderId}`);
    const recipient = user?.email ?? '(no address on file)';
    const transport = user ? smtpTransport(env) : null;
    if (transport) {
      await transport.sendMail({ to: recipient, subject: rendered.subject, text: rendered.text, html: rendered.html, from: env.MAIL_FROM });
    }
    await tx
      .insert(notifications)
      .values({
        id: randomUUID(),
        messageId: message.messageId,
        kind: failed ? 'order_failed' : 'order_confirmation',
        userId: order.userId,
        orderId: order.orderId,
        recipient,
        subject: rendered.subject,
        textBody: rendered.text,
        htmlBody: rendered.html,
        channel: transport ? 'smtp' : 'stored',
        status: transport ? 'sent' : 'stored',
        sentAt: transport ? new Date() : null,
      })
      .onConflictDoNothing();
  },
};

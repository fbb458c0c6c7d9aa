import { formatMoney } from '@/components/ui/format';

export type ConfirmedOrder = {
  orderId: string;
  items: { productId: string; name: string; unitPriceCents: number; quantity: number; lineTotalCents: number }[];
  itemCount: number;
  totalCents: number;
  currency: string;
};

export type RenderedMessage = { subject: string; text: string; html: string };

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The order confirmation, as plain text and as HTML, from the order.confirmed message alone. */
export function renderOrderConfirmation(order: ConfirmedOrder, recipientName: string, orderUrl: string): RenderedMessage {
  const money = (c: number) => formatMoney(c, order.currency);
  const subject = `Your eventcart order ${order.orderId} is confirmed`;
  const lines = order.items.map((l) => `  ${l.quantity} × ${l.name} at ${money(l.unitPriceCents)} = ${money(l.lineTotalCents)}`);
  const text = [
    `Hello ${recipientName},`,
    '',
    `thank you for your order ${order.orderId}. It is confirmed:`,
    '',
    ...lines,
    '',
    `Total: ${money(order.totalCents)} for ${order.itemCount} item${order.itemCount === 1 ? '' : 's'}.`,
    '',
    `See it at ${orderUrl}`,
  ].join('\n');
  const rows = order.items
    .map(
      (l) =>
        `<tr><td>${l.quantity} × ${escapeHtml(l.name)}</td><td style="text-align:right">${money(l.unitPriceCents)}</td><td style="text-align:right">${money(l.lineTotalCents)}</td></tr>`,
    )
    .join('');
  const html =
    `<p>Hello ${escapeHtml(recipientName)},</p><p>thank you for your order <strong>${escapeHtml(order.orderId)}</strong>. It is confirmed:</p>` +
    `<table cellpadding="4">${rows}<tr><td><strong>Total</strong></td><td></td><td style="text-align:right"><strong>${money(order.totalCents)}</strong></td></tr></table>` +
    `<p><a href="${escapeHtml(orderUrl)}">See your order</a></p>`;
  return { subject, text, html };
}

export type FailedOrder = ConfirmedOrder & { reason: string };

/** The message for an order the process could not complete (order.failed): why, and that nothing was charged. */
export function renderOrderFailed(order: FailedOrder, recipientName: string, orderUrl: string): RenderedMessage {
  const subject = `Your eventcart order ${order.orderId} could not be completed`;
  const text = [
    `Hello ${recipientName},`,
    '',
    `we could not complete your order ${order.orderId}: ${order.reason}`,
    '',
    'Nothing was charged. Your cart is open again with the same items, so you can try again.',
    '',
    `See the order at ${orderUrl}`,
  ].join('\n');
  const html =
    `<p>Hello ${escapeHtml(recipientName)},</p><p>we could not complete your order <strong>${escapeHtml(order.orderId)}</strong>: ${escapeHtml(order.reason)}</p>` +
    `<p>Nothing was charged. Your cart is open again with the same items, so you can try again.</p>` +
    `<p><a href="${escapeHtml(orderUrl)}">See your order</a></p>`;
  return { subject, text, html };
}

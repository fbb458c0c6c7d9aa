import { expect, test } from './fixtures/test';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import { apiAs, json } from './fixtures/api';
import { productWithStock } from './api/helpers';

// Runs in the postgres project when E2E_NATS_URL is set: each worker's server then publishes to a
// NATS JetStream stream of its own (e2e/fixtures/test.ts); playwright.config.ts leaves it out
// otherwise, it is never skipped.
type Message = { messageId: string; subject: string; partitionKey: string; payload: { orderId?: string; cartId?: string } };

let nc: NatsConnection;
let stream: string;
let prefix: string;
test.beforeAll(async ({ app }) => {
  if (!app.nats) throw new Error('this worker\'s server does not publish to NATS (E2E_NATS_URL unset)');
  ({ stream, prefix } = app.nats);
  nc = await connect({ servers: app.nats.url, timeout: 3000 });
});
test.afterAll(async () => {
  await nc?.drain();
});

async function messagesOf(cartId: string): Promise<{ subject: string; body: Message }[]> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(stream);
  const codec = JSONCodec<Message>();
  const out = [];
  for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (!m) continue;
    const body = codec.decode(m.data);
    if (body.partitionKey === cartId) out.push({ subject: m.subject, body });
  }
  return out;
}

test('a checkout reaches the NATS JetStream stream as cart.checked_out then order.confirmed', async ({ baseURL }) => {
  const alice = await apiAs(baseURL!, 'alice');
  const product = await productWithStock(alice, 'paper-filters', 1);
  const cartId = (await json<{ cartId: string }>(await alice.post('/api/carts'))).cartId;
  expect((await alice.post(`/api/carts/${cartId}/items`, { data: { productId: product.id, quantity: 1 } })).status()).toBe(200);
  const { orderId } = await json<{ orderId: string }>(await alice.post(`/api/carts/${cartId}/checkout`));
  await alice.dispose();

  await expect.poll(async () => (await messagesOf(cartId)).map((m) => m.subject), { timeout: 15_000 }).toEqual([
    `${prefix}.cart.checked_out`,
    `${prefix}.order.confirmed`,
  ]);
  const [, confirmed] = await messagesOf(cartId);
  expect(confirmed.body.payload.orderId).toBe(orderId);
});

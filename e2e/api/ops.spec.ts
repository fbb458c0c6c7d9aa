import { createCart, expect, expectOk, getEvents, test, type CommandBody } from './helpers';

// The operators' view: liveness, readiness, Prometheus metrics that move when commands run, and the
// request id that ties a response, its log lines and the events it wrote together.

/** One sample's value from the exposition text; undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('GET /api/health is alive and GET /api/ready is ready: database answers, every migration applied', async ({ as, app }) => {
  const anon = await as(null);
  const health = await expectOk<{ status: string; uptimeSeconds: number }>(await anon.get('/api/health'));
  expect(health.status).toBe('ok');
  const ready = await expectOk<{ status: string; database: string; migrations: number }>(await anon.get('/api/ready'));
  expect(ready).toMatchObject({ status: 'ready', database: app.database });
  expect(ready.migrations).toBeGreaterThanOrEqual(4);
  const doc = await expectOk<{ paths: Record<string, unknown> }>(await anon.get('/api/openapi.json'));
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/health', '/api/ready', '/api/metrics']));
});

test('the X-Request-Id given is echoed and is the correlation id of the event the request appended', async ({ as }) => {
  const alice = await as('alice');
  const cartId = (await createCart(alice)).cartId;
  const id = `ops-${crypto.randomUUID()}`;
  const res = await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'paper-filters', quantity: 1 }, headers: { 'X-Request-Id': id } });
  const body = await expectOk<CommandBody>(res);
  expect(res.headers()['x-request-id']).toBe(id);
  const appended = (await getEvents(alice, cartId)).find((e) => e.version === body.version)!;
  expect(appended).toMatchObject({ type: 'ItemAdded', correlationId: id });
});

test('GET /api/metrics: command counters, the duration histogram and appended events move; lag and process gauges are there', async ({ as }) => {
  const anon = await as(null);
  const alice = await as('alice');
  const scrape = async () => {
    const res = await anon.get('/api/metrics');
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };
  const before = await scrape();
  const cartId = (await createCart(alice)).cartId;
  await expectOk(await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 2 } }));
  const refused = await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 98 } });
  expect(refused.status()).toBe(409);
  const after = await scrape();

  const delta = (series: string) => (sample(after, series) ?? 0) - (sample(before, series) ?? 0);
  expect(delta('eventcart_commands_total{type="open",outcome="ok"}')).toBe(1);
  expect(delta('eventcart_commands_total{type="add",outcome="ok"}')).toBe(1);
  expect(delta('eventcart_commands_total{type="add",outcome="rejected"}')).toBe(1);
  expect(delta('eventcart_command_rejections_total{type="add",code="quantity_limit"}')).toBe(1);
  expect(delta('eventcart_command_duration_seconds_count{type="add"}')).toBe(2);
  expect(delta('eventcart_events_appended_total')).toBe(2);
  expect(after).toContain('# TYPE eventcart_concurrency_retries_total counter');
  expect(sample(after, 'eventcart_subscriber_lag_events{subscriber="sales-daily"}')).toBeGreaterThanOrEqual(0);
  expect(sample(after, 'eventcart_subscriber_lag_seconds{subscriber="sales-daily"}')).toBeGreaterThanOrEqual(0);
  expect(sample(after, 'eventcart_database_up')).toBe(1);
  expect(sample(after, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
  expect(sample(after, 'eventcart_uptime_seconds')).toBeGreaterThan(0);
});

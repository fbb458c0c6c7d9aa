import type { APIRequestContext } from '../fixtures/test';
import { csvRecords, parseCsv } from '../fixtures/csv';
import { createCart, expect, expectError, expectOk, getEvents, randomUuid, sleep, test, type CartEvent } from './helpers';

// The admin audit API: GET /api/admin/events (pages) and /api/admin/events/export (downloads).
// Other spec files write to the same database at the same time, so every assertion is about carts
// made here (filtered by their cart id) or holds for any data; nothing counts the whole log.

type AuditEvent = CartEvent & { cartId: string; title: string };
type AuditPage = { events: AuditEvent[]; nextCursor: string | null };

const CSV_COLUMNS = ['global_position', 'occurred_at', 'cart_id', 'version', 'type', 'title', 'actor_user_id', 'actor_role', 'correlation_id', 'data'];

/**
 * A cart of alice's with six events a little apart in time: opened, two adds, a quantity change, a
 * removal, a checkout (closed, so no browser test of alice's finds it as her open cart).
 */
async function aliceStory(alice: APIRequestContext) {
  const { cartId } = await createCart(alice);
  const steps = [
    () => alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'paper-filters', quantity: 1 } }),
    () => alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'travel-tumbler', quantity: 1 } }),
    () => alice.patch(`/api/carts/${cartId}/items/paper-filters`, { data: { quantity: 2 } }),
    () => alice.delete(`/api/carts/${cartId}/items/travel-tumbler`),
    () => alice.post(`/api/carts/${cartId}/checkout`),
  ];
  for (const step of steps) {
    await sleep(15);
    await expectOk(await step());
  }
  const events = await getEvents(alice, cartId);
  expect(events.map((e) => e.type)).toEqual(['CartOpened', 'ItemAdded', 'ItemAdded', 'ItemQuantityChanged', 'ItemRemoved', 'CartCheckedOut']);
  return { cartId, events };
}

const get = async (api: APIRequestContext, query: string) => expectOk<AuditPage>(await api.get(`/api/admin/events?${query}`));

test.describe('GET /api/admin/events', () => {
  test('401 signed out, 403 for a shopper, on the list and the export alike', async ({ as }) => {
    const [anon, alice] = await Promise.all([as(null), as('alice')]);
    for (const path of ['/api/admin/events', '/api/admin/events?type=ItemAdded', '/api/admin/events/export', '/api/admin/events/export?format=json']) {
      await expectError(await anon.get(path), 401, 'unauthorized');
      await expectError(await alice.get(path), 403, 'forbidden');
    }
    // Who is asked before what: a shopper's bad query is still a 403.
    await expectError(await alice.get('/api/admin/events?limit=0'), 403, 'forbidden');
  });

  test("200 for the admin: one cart's events newest first, each with title, actor and ids, like the cart's own log", async ({ as }) => {
    const [alice, admin] = await Promise.all([as('alice'), as('admin')]);
    const { cartId, events } = await aliceStory(alice);
    const page = await get(admin, `cartId=${cartId}`);
    expect(page.nextCursor).toBeNull();
    expect(page.events.map((e) => e.version)).toEqual([6, 5, 4, 3, 2, 1]);
    const own = [...events].reverse();
    page.events.forEach((e, i) => {
      const { globalPosition, version, type, schemaVersion, data, occurredAt, actor, correlationId, causationId } = own[i];
      expect(e).toEqual({ globalPosition, cartId, version, type, title: e.title, data, occurredAt, actor, correlationId, causationId, schemaVersion });
    });
    expect(page.events.map((e) => e.title)).toEqual([
      expect.stringMatching(/^Checked out, order #ord_[0-9a-f]{16}$/),
      'Removed travel-tumbler (1)',
      'paper-filters: quantity 1 → 2',
      'Added 1 × Travel tumbler',
      'Added 1 × Paper filters',
      'Cart opened',
    ]);
    for (const e of page.events) expect(e.actor).toEqual({ userId: 'user-alice', role: 'shopper' });
  });

  test('filters: type, user, time range (from inclusive, to exclusive), alone and together', async ({ as }) => {
    const [alice, admin] = await Promise.all([as('alice'), as('admin')]);
    const { cartId, events } = await aliceStory(alice);
    const versions = async (q: string) => (await get(admin, `cartId=${cartId}&${q}`)).events.map((e) => e.version);

    expect(await versions('type=ItemAdded')).toEqual([3, 2]);
    expect(await versions('type=CartCheckedOut')).toEqual([6]);
    expect(await versions('userId=user-alice')).toEqual([6, 5, 4, 3, 2, 1]);
    expect(await versions('userId=user-bob')).toEqual([]);
    expect(await versions('userId=user-alice&type=ItemQuantityChanged')).toEqual([4]);

    const at = (v: number) => encodeURIComponent(events[v - 1].occurredAt);
    expect(await versions(`from=${at(3)}`)).toEqual([6, 5, 4, 3]);
    expect(await versions(`to=${at(3)}`)).toEqual([2, 1]);
    expect(await versions(`from=${at(2)}&to=${at(5)}`)).toEqual([4, 3, 2]);
    expect(await versions(`from=${at(2)}&to=${at(5)}&type=ItemAdded`)).toEqual([3, 2]);
    expect(await versions(`from=${at(4)}&to=${at(4)}`)).toEqual([]);
    // Without an offset a time is UTC (what a datetime-local field sends), to the second or minute.
    const utc = new Date(events[0].occurredAt);
    const minute = utc.toISOString().slice(0, 16);
    expect(await versions(`from=${minute}`)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(await versions(`to=${minute}`)).toEqual([]);

    // Type and user alone (across everyone's carts, whatever else is in the log).
    const added = await get(admin, 'type=ItemAdded&limit=20');
    expect(added.events.length).toBeGreaterThanOrEqual(2);
    for (const e of added.events) expect(e.type).toBe('ItemAdded');
    const hers = await get(admin, 'userId=user-alice&limit=20');
    expect(hers.events.length).toBeGreaterThanOrEqual(6);
    for (const e of hers.events) expect(e.actor.userId).toBe('user-alice');
    for (const list of [added.events, hers.events]) {
      for (let i = 1; i < list.length; i++) expect(list[i].globalPosition).toBeLessThan(list[i - 1].globalPosition);
    }
  });

  test('cursor paging: limit 4 then the rest; the cursor keeps working while the log grows', async ({ as }) => {
    const [alice, admin] = await Promise.all([as('alice'), as('admin')]);
    const { cartId } = await aliceStory(alice);
    const first = await get(admin, `cartId=${cartId}&limit=4`);
    expect(first.events.map((e) => e.version)).toEqual([6, 5, 4, 3]);
    expect(typeof first.nextCursor).toBe('string');
    // New events elsewhere in the log do not shift the next page.
    await aliceStory(alice);
    const second = await get(admin, `cartId=${cartId}&limit=4&after=${encodeURIComponent(first.nextCursor!)}`);
    expect(second.events.map((e) => e.version)).toEqual([2, 1]);
    expect(second.nextCursor).toBeNull();

    // Default page size 50; across the whole log every page is strictly older than the one before.
    const whole = await get(admin, '');
    expect(whole.events.length).toBeLessThanOrEqual(50);
    let after = whole.nextCursor;
    let last = whole.events.at(-1)?.globalPosition ?? Infinity;
    for (let i = 0; i < 2 && after; i++) {
      const next = await get(admin, `limit=25&after=${after}`);
      for (const e of next.events) {
        expect(e.globalPosition).toBeLessThan(last);
        last = e.globalPosition;
      }
      after = next.nextCursor;
    }
  });

  test('400 invalid_input with the issues for bad parameters', async ({ as }) => {
    const admin = await as('admin');
    const cases: [string, string][] = [
      ['type=Bogus', 'type'],
      ['type=itemadded', 'type'],
      ['from=yesterday', 'from'],
      ['to=2026-13-01T00:00:00Z', 'to'],
      ['from=2026-02-30T10:00:00Z', 'from'],
      ['from=2026-11-23T12:00:00Z&to=2026-11-23T11:59:59Z', 'to'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=2.5', 'limit'],
      ['after=abc', 'after'],
      ['after=-5', 'after'],
      ['after=0', 'after'],
      ['after=12345678901234567890', 'after'],
      ['cartId=not-a-uuid', 'cartId'],
    ];
    for (const [query, path] of cases) {
      const err = await expectError(await admin.get(`/api/admin/events?${query}`), 400, 'invalid_input');
      expect(err.issues?.map((i) => i.path.join('.')), query).toContain(path);
    }
    const unknown = await expectError(await admin.get('/api/admin/events?owner=bob'), 400, 'invalid_input');
    expect(unknown.issues?.[0].code).toBe('unrecognized_keys');
    // Empty fields (a GET form) are no filter; limit 200 is the most.
    expect((await get(admin, 'cartId=&userId=&type=&from=&to=&after=&limit=200')).events.length).toBeGreaterThan(0);
  });
});

test.describe('GET /api/admin/events/export', () => {
  test('CSV: an attachment with a header row, one RFC 4180 row per event, newest first, filters applied', async ({ as }) => {
    const [alice, admin] = await Promise.all([as('alice'), as('admin')]);
    const { cartId, events } = await aliceStory(alice);
    const res = await admin.get(`/api/admin/events/export?format=csv&cartId=${cartId}`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers()['content-disposition']).toMatch(/^attachment; filename="events-\d{8}T\d{6}Z\.csv"$/);
    expect(res.headers()['cache-control']).toBe('no-store');
    const text = await res.text();
    expect(text.endsWith('\r\n')).toBe(true);
    expect(parseCsv(text)[0]).toEqual(CSV_COLUMNS);
    const rows = csvRecords(text);
    const own = [...events].reverse();
    expect(rows.map((r) => Number(r.version))).toEqual([6, 5, 4, 3, 2, 1]);
    rows.forEach((r, i) => {
      expect(r.global_position).toBe(String(own[i].globalPosition));
      expect(r.occurred_at).toBe(own[i].occurredAt);
      expect(r.cart_id).toBe(cartId);
      expect(r.type).toBe(own[i].type);
      expect([r.actor_user_id, r.actor_role]).toEqual(['user-alice', 'shopper']);
      expect(r.correlation_id).toBe(own[i].correlationId);
      expect(JSON.parse(r.data)).toEqual(own[i].data);
    });
    expect(rows[4].title).toBe('Added 1 × Paper filters');
    // Data is JSON, so it is quoted with its quotes doubled.
    expect(text).toContain('"{""');

    const added = csvRecords(await (await admin.get(`/api/admin/events/export?cartId=${cartId}&type=ItemAdded`)).text());
    expect(added.map((r) => r.title)).toEqual(['Added 1 × Travel tumbler', 'Added 1 × Paper filters']);
    const none = await (await admin.get(`/api/admin/events/export?format=csv&cartId=${randomUuid()}`)).text();
    expect(none).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });

  test('JSON: an attachment holding the same events as the list, as one array', async ({ as }) => {
    const [alice, admin] = await Promise.all([as('alice'), as('admin')]);
    const { cartId } = await aliceStory(alice);
    const res = await admin.get(`/api/admin/events/export?format=json&cartId=${cartId}&userId=user-alice`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers()['content-disposition']).toMatch(/^attachment; filename="events-\d{8}T\d{6}Z\.json"$/);
    const exported = (await res.json()) as AuditEvent[];
    expect(exported).toEqual((await get(admin, `cartId=${cartId}`)).events);
    expect(await (await admin.get(`/api/admin/events/export?format=json&cartId=${randomUuid()}`)).json()).toEqual([]);
  });

  test('400 for a bad format or filter, before anything is streamed', async ({ as }) => {
    const admin = await as('admin');
    for (const [query, path] of [
      ['format=xml', 'format'],
      ['format=csv&type=Nope', 'type'],
      ['from=2026-11-23T12:00:00Z&to=2026-11-22T12:00:00Z', 'to'],
      ['limit=5', ''],
    ]) {
      const err = await expectError(await admin.get(`/api/admin/events/export?${query}`), 400, 'invalid_input');
      expect(err.issues?.map((i) => i.path.join('.')), query).toContain(path);
    }
  });

  test('the OpenAPI document lists both routes with their parameters', async ({ as }) => {
    const anon = await as(null);
    const doc = await expectOk<{ paths: Record<string, { get: { parameters: { name: string }[]; responses: Record<string, unknown> } }> }>(
      await anon.get('/api/openapi.json'),
    );
    expect(doc.paths['/api/admin/events'].get.parameters.map((p) => p.name).sort()).toEqual(['after', 'cartId', 'from', 'limit', 'to', 'type', 'userId']);
    expect(Object.keys(doc.paths['/api/admin/events'].get.responses).sort()).toEqual(['200', '400', '401', '403']);
    expect(doc.paths['/api/admin/events/export'].get.parameters.map((p) => p.name).sort()).toEqual(['cartId', 'format', 'from', 'to', 'type', 'userId']);
  });
});

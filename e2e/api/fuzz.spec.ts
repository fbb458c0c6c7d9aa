import http from 'node:http';
import fc from 'fast-check';
import type { APIRequestContext, APIResponse } from '../fixtures/test';
import { createCart, expect, expectError, expectOk, productWithStock, rawJson, test, type Cart, type CommandBody } from './helpers';

// Property-based fuzzing of the JSON API against the running app. fast-check generates requests to
// every JSON route (random methods, path ids, query strings, headers and bodies: JSON, arbitrary values,
// prototype keys, 10k+ strings, lone surrogates, numbers as strings, bytes that are not UTF-8, bodies over
// 64 KB) from three clients: the owner of a cart, another signed-in user and a signed-out one.
// Every answer must be below 500; a 4xx must be the JSON error shape and must not have written an event.
//
// The seed is random per run and printed; rerun one with FUZZ_SEED=<seed> (FUZZ_RUNS=<n> to change the count)
// on a fresh database. The owner is admin: shop.spec, devices.spec and history.spec drive alice's and bob's
// open carts through the UI, and a fuzzed cart of theirs could become "the open cart" under them.

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const MAX_BODY = 64 * 1024;

// Products nothing else in the suite counts the stock of, a sold-out one, and ids that do not exist.
const PRODUCTS = ['gooseneck-kettle', 'digital-scale', 'sencha-tea', 'no-such-product'];

// ------------------------------------------------------------------ strings that hurt

/** Percent-encodes like encodeURIComponent, but lone surrogates as their WTF-8 bytes instead of throwing. */
function encodeLoose(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const next = s.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(s[i] + s[i + 1]);
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => '%' + b.toString(16).toUpperCase()).join('');
    } else {
      out += encodeURIComponent(s[i]);
    }
  }
  return out;
}

const unicode = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }), // includes lone surrogates
  fc.constantFrom('é', 'ß', '😀', '\u0000', '\u202e', '\ufeff', '\ud800', '\udfff', 'a\u0301', 'İ', '𝔘𝔫𝔦'),
);

/** Header values: what an HTTP client can put on the wire (visible Latin-1, no control characters). */
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f && (c < 0x80 || c > 0x9f)).map((c) => String.fromCharCode(c)), maxLength });

const junkSegment = fc.oneof(
  fc.constantFrom(
    '..', '.', '%2e%2e', '%2E', '%00', '%', '%zz', '%E0%A4%A', '%ED%A0%80', '%C0%AF', '%2F', '%5C', '%25', '%20',
    'null', 'undefined', '__proto__', 'constructor', 'prototype', '~', '*', "'", '"', '<script>', ';', ',',
  ),
  unicode.filter((s) => s.length > 0).map(encodeLoose),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.uuid().map((u) => `{${u}}`),
  fc.uuid().map((u) => `${u}%00`),
  fc.uuid().map((u) => u.replace(/-/g, '')),
  fc.integer({ min: 1000, max: 3000 }).map((n) => 'a'.repeat(n)),
);

// ------------------------------------------------------------------ the request model

type Ref = { ref: 'own' | 'foreign' | 'ownOrder' } | { lit: string };
type Who = 'owner' | 'other' | 'anon';
type Body = { kind: string; text?: string; bytes?: number[] };
type FuzzRequest = { who: Who; method: string; path: (string | Ref)[]; query: string; headers: Record<string, string>; body?: Body };

const lit = (s: string): Ref => ({ lit: s });

const cartRef: fc.Arbitrary<Ref> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Ref>({ ref: 'own' }) },
  { weight: 2, arbitrary: fc.constant<Ref>({ ref: 'foreign' }) },
  { weight: 2, arbitrary: fc.uuid().map(lit) },
  { weight: 2, arbitrary: junkSegment.map(lit) },
);
const productRef: fc.Arbitrary<Ref> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...PRODUCTS).map(lit) },
  { weight: 2, arbitrary: junkSegment.map(lit) },
);
const orderRef: fc.Arbitrary<Ref> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Ref>({ ref: 'ownOrder' }) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 16, maxLength: 16 }).map((h) => lit(`ord_${h}`)) },
  { weight: 1, arbitrary: junkSegment.map(lit) },
);

/** Every JSON route: its path (wild ids), the methods it has, and a well-formed request to it. */
type Route = {
  name: string;
  path: fc.Arbitrary<(string | Ref)[]>;
  methods: string[];
  sanePath: fc.Arbitrary<(string | Ref)[]>;
  saneQuery: fc.Arbitrary<string>;
  saneBody: fc.Arbitrary<Body | undefined>;
};
const OWN: Ref = { ref: 'own' };
const none = fc.constant(undefined);
const sane = (name: string, t: string): Body => ({ kind: name, text: t });
const saneProduct = fc.constantFrom('gooseneck-kettle', 'digital-scale', 'sencha-tea');
const routes: Route[] = [
  {
    name: 'carts',
    path: fc.constant(['carts']),
    methods: ['GET', 'POST'],
    sanePath: fc.constant(['carts']),
    saneQuery: fc.constantFrom('', '?status=open', '?limit=3'),
    saneBody: fc.constantFrom(undefined, sane('create', '{}'), sane('create', '{"currency":"EUR"}')),
  },
  { name: 'cart', path: cartRef.map((c) => ['carts', c]), methods: ['GET'], sanePath: fc.constant(['carts', OWN]), saneQuery: fc.constant(''), saneBody: none },
  {
    name: 'items',
    path: cartRef.map((c) => ['carts', c, 'items']),
    methods: ['POST'],
    sanePath: fc.constant(['carts', OWN, 'items']),
    saneQuery: fc.constant(''),
    saneBody: fc.tuple(saneProduct, fc.integer({ min: 1, max: 3 })).map(([p, q]) => sane('add', JSON.stringify({ productId: p, quantity: q }))),
  },
  {
    name: 'item',
    path: fc.tuple(cartRef, productRef).map(([c, p]) => ['carts', c, 'items', p]),
    methods: ['PATCH', 'DELETE'],
    sanePath: saneProduct.map((p) => ['carts', OWN, 'items', p]),
    saneQuery: fc.constant(''),
    saneBody: fc.integer({ min: 0, max: 4 }).map((q) => sane('change', JSON.stringify({ quantity: q }))),
  },
  { name: 'checkout', path: cartRef.map((c) => ['carts', c, 'checkout']), methods: ['POST'], sanePath: fc.constant(['carts', OWN, 'checkout']), saneQuery: fc.constant(''), saneBody: none },
  {
    name: 'events',
    path: cartRef.map((c) => ['carts', c, 'events']),
    methods: ['GET'],
    sanePath: fc.constant(['carts', OWN, 'events']),
    saneQuery: fc.constantFrom('', '?limit=2', '?after=1&limit=5'),
    saneBody: none,
  },
  {
    name: 'state',
    path: cartRef.map((c) => ['carts', c, 'state']),
    methods: ['GET'],
    sanePath: fc.constant(['carts', OWN, 'state']),
    saneQuery: fc.constantFrom('?version=1', `?at=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`),
    saneBody: none,
  },
  {
    name: 'diff',
    path: cartRef.map((c) => ['carts', c, 'diff']),
    methods: ['GET'],
    sanePath: fc.constant(['carts', OWN, 'diff']),
    saneQuery: fc.constant('?from=1&to=1'),
    saneBody: none,
  },
  { name: 'products', path: fc.constant(['products']), methods: ['GET'], sanePath: fc.constant(['products']), saneQuery: fc.constant(''), saneBody: none },
  { name: 'orders', path: fc.constant(['orders']), methods: ['GET'], sanePath: fc.constant(['orders']), saneQuery: fc.constant(''), saneBody: none },
  {
    name: 'order',
    path: orderRef.map((o) => ['orders', o]),
    methods: ['GET'],
    sanePath: fc.constant<(string | Ref)[]>(['orders', { ref: 'ownOrder' }]),
    saneQuery: fc.constant(''),
    saneBody: none,
  },
];

const ANY_METHOD = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

const queryValue = fc.oneof(
  fc.integer({ min: -1_000_000, max: 2_000_000_000 }).map(String),
  fc.constantFrom(
    '0', '1', '2', '3', '-1', '1e3', '1e400', '0x10', '0b1', ' 1', '1 ', '1.5', '-0', 'NaN', 'Infinity', '', 'null', 'true',
    'open', 'checked_out', 'OPEN', '[]', '{}',
    '0000-01-01T00:00:00Z', '9999-12-31T23:59:59-23:59', '0001-01-01T00:00:00+01:00', '2025-01-01T00:00:00Z', '2025-02-30T00:00:00Z',
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), // includes +275760-… and -000001-…
  fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().replace('Z', '+05:30')),
  unicode,
  fc.integer({ min: 1000, max: 3000 }).map((n) => '9'.repeat(n)),
);
const queryKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('after', 'limit', 'version', 'at', 'from', 'to', 'status') },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'x', '', 'after[]', 'limit[0]') },
  { weight: 1, arbitrary: unicode },
);
const queryArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.tuple(queryKey, queryValue), { maxLength: 4 })
      .map((pairs) => (pairs.length ? '?' + pairs.map(([k, v]) => `${encodeLoose(k)}=${encodeLoose(v)}`).join('&') : '')),
  },
  { weight: 1, arbitrary: fc.constantFrom('?', '?&&', '?=', '?a=%zz', '?version=1&version=2', '?at=%', '?%00=%00', '?after=1#frag', '?limit=1;2') },
);

// ------------------------------------------------------------------ bodies

/** A JSON value as text: any JSON value, or a number literal JSON.stringify would never write. */
const jsonValueText = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.constantFrom('1e2', '-0', '1.0', '1E0', '0.99e2', '1e-7', '123456789012345678901234567890', '1e308', '-1e308') },
);

const quantityText = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 5 }).map(String) },
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 120 }).map(String) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '0', '99', '100', '-1', '1.5', '1e308', '-0', '9007199254740993', '"1"', '"2"', '" 1"', '"1e1"', '"NaN"', 'true', 'null', '[1]', '{"$numberInt":"1"}', '1.0',
    ),
  },
  { weight: 1, arbitrary: jsonValueText },
);

const extraKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'quantity', 'productId', 'currency', 'toString', 'hasOwnProperty', 'polluted');
const extraValue = fc.oneof(fc.constant('{"polluted":1}'), fc.constant('{"prototype":{"polluted":1}}'), jsonValueText);

/** An object written as text, so "__proto__" stays a literal key (an object literal would set the prototype). */
const objectText = (fields: fc.Arbitrary<[string, string][]>) =>
  fc
    .tuple(
      fields,
      fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(extraKey, extraValue), { minLength: 1, maxLength: 2 }) }),
      fc.boolean(),
    )
    .map(([own, extra, extraFirst]) => {
      const entries = extraFirst ? [...extra, ...own] : [...own, ...extra];
      return '{' + entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',') + '}';
    });

const productIdText = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...PRODUCTS).map((p) => JSON.stringify(p)) },
  { weight: 1, arbitrary: unicode.map((s) => JSON.stringify(s)) }, // lone surrogates become \ud800 escapes
  { weight: 1, arbitrary: fc.constantFrom('"\\ud800"', '"espresso\\u0000beans"', '"ESPRESSO-BEANS"', '""', '1', 'null', '["gooseneck-kettle"]') },
);

const longString = fc
  .tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), fc.integer({ min: 10_000, max: 20_000 }))
  .map(([s, n]) => s.repeat(Math.ceil(n / s.length)));

const text = (kind: string) => (t: string): Body => ({ kind, text: t });

const bodyArb: fc.Arbitrary<Body | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: objectText(fc.tuple(productIdText, quantityText).map(([p, q]) => [['productId', p], ['quantity', q]])).map(text('add')) },
  { weight: 4, arbitrary: objectText(quantityText.map((q) => [['quantity', q]])).map(text('change')) },
  {
    weight: 2,
    arbitrary: objectText(fc.constantFrom('"EUR"', '"USD"', '""', 'null', '1').map((c) => [['currency', c]])).map(text('create')),
  },
  { weight: 2, arbitrary: fc.json().map(text('json')) },
  {
    weight: 2,
    arbitrary: fc
      .anything({ withNullPrototype: true, withObjectString: true, withBoxedValues: true, withSparseArray: true })
      .map((v) => JSON.stringify(v))
      .map((t) => (t === undefined ? undefined : { kind: 'anything', text: t })),
  },
  { weight: 1, arbitrary: longString.map((s) => ({ kind: 'long', text: JSON.stringify({ productId: s, quantity: 1 }) })) },
  { weight: 1, arbitrary: longString.map((s) => ({ kind: 'long', text: JSON.stringify(s) })) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constantFrom('{', '{"a":}', "{'productId':'x'}", 'NaN', '[1,]', '{"quantity":1}garbage', '\u0000', '', '   ', 'null', 'true', '"str"', '1', '[]', '{}', '\ufeff{"quantity":1}'),
      fc.tuple(fc.json(), fc.nat()).map(([j, n]) => j.slice(0, n % Math.max(1, j.length))),
    ).map(text('malformed')),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom([0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xff], [0xfe, 0xff], [0x22, 0xc3], [0xf4, 0x90, 0x80, 0x80])
      .map((bad) => ({ kind: 'not-utf8', bytes: [...Buffer.from('{"productId":"'), ...bad, ...Buffer.from('","quantity":1}')] })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 4096 }).map((over) => ({
      kind: 'oversized',
      text: '{"productId":"gooseneck-kettle","quantity":1}' + ' '.repeat(MAX_BODY - 45 + over),
    })),
  },
);

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  { weight: 2, arbitrary: fc.constant('') }, // no header at all
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.constantFrom(
        'text/plain', 'application/json; charset=latin1', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/vnd.api+json',
        'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'json', ' application/json',
        'application/json;', 'application/json, text/plain', 'application/octet-stream', '*/*',
      ),
      headerText(40),
    ),
  },
);

const ifMatch = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.integer({ min: 0, max: 6 }).map((n) => `"${n}"`),
      fc.constantFrom('W/"1"', '*', '"999999999"', '"9999999999"', 'abc', '"-1"', '"1", "2"', '', ' ', '"1.5"', '"0x1"'),
      headerText(30),
      fc.integer({ min: 100, max: 3000 }).map((n) => '"' + '9'.repeat(n) + '"'),
    ),
  },
);

const idempotencyKey = (seed: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom(`fz-${seed}-a`, `fz-${seed}-b`) }, // reused: replay or 422
    { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom('', ' ', 'has space', 'é', 'k'.repeat(201)),
        fc.integer({ min: 1000, max: 3000 }).map((n) => 'k'.repeat(n)),
        headerText(50),
      ),
    },
  );

const whoArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Who>('owner') },
  { weight: 2, arbitrary: fc.constant<Who>('other') },
  { weight: 2, arbitrary: fc.constant<Who>('anon') },
);

type Fields = {
  who: Who;
  method: string;
  path: (string | Ref)[];
  query: string;
  body: Body | undefined;
  contentType: string;
  ifMatch: string | undefined;
  key: string | undefined;
  requestId: string | null;
  accept: string | null;
};
const FIELDS = ['who', 'method', 'path', 'query', 'body', 'contentType', 'ifMatch', 'key', 'requestId', 'accept'] as const;

/**
 * Half the requests are wild in every part; the other half are well-formed requests by the owner to
 * their own cart with zero to two parts swapped for wild ones, so the deeper paths (the decider, stock,
 * If-Match, idempotency) are reached too.
 */
const requestArb = (seed: number): fc.Arbitrary<FuzzRequest> =>
  fc
    .constantFrom(...routes.keys())
    .chain((i) => {
      const r = routes[i];
      const wild: fc.Arbitrary<Fields> = fc.record({
        who: whoArb,
        method: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...r.methods) }, { weight: 1, arbitrary: fc.constantFrom(...ANY_METHOD) }),
        path: r.path,
        query: queryArb,
        body: bodyArb,
        contentType,
        ifMatch,
        key: idempotencyKey(seed),
        requestId: fc.option(fc.oneof(headerText(20), fc.constantFrom('../../etc/passwd', 'x'.repeat(200))), { freq: 8 }),
        accept: fc.option(fc.constantFrom('text/html', '*/*', 'application/xml', ''), { freq: 8 }),
      });
      const wellFormed: fc.Arbitrary<Fields> = fc.record({
        who: fc.constant<Who>('owner'),
        method: fc.constantFrom(...r.methods),
        path: r.sanePath,
        query: r.saneQuery,
        body: r.saneBody,
        contentType: fc.constant('application/json'),
        ifMatch: fc.constant(undefined),
        key: fc.oneof(
          { weight: 2, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.uuid() },
          { weight: 1, arbitrary: fc.constantFrom(`fz-${seed}-a`, `fz-${seed}-b`) },
        ),
        requestId: fc.constant(null),
        accept: fc.constant(null),
      });
      return fc.record({
        wild,
        wellFormed,
        mode: fc.constantFrom('wild', 'mutated'),
        swap: fc.subarray([...FIELDS], { maxLength: 2 }),
      });
    })
    .map(({ wild, wellFormed, mode, swap }) => {
      const f: Fields = mode === 'wild' ? wild : { ...wellFormed, ...Object.fromEntries(swap.map((k) => [k, wild[k]])) };
      const headers: Record<string, string> = {};
      if (f.contentType) headers['content-type'] = f.contentType;
      if (f.ifMatch !== undefined) headers['if-match'] = f.ifMatch;
      if (f.key !== undefined) headers['idempotency-key'] = f.key;
      if (f.requestId) headers['x-request-id'] = f.requestId;
      if (f.accept) headers['accept'] = f.accept;
      // Another signed-in user never opens carts: they would become the open cart of a shopper in a UI test.
      const opens = f.method === 'POST' && f.path.length === 1 && f.path[0] === 'carts';
      return { who: f.who === 'other' && opens ? 'owner' : f.who, method: f.method, path: f.path, query: f.query, headers, body: f.body };
    })
    // Node answers a request line plus headers over 16 KB itself (431, no body): stay well below.
    .filter((r) => JSON.stringify([r.path, r.query, r.headers]).length < 12_000);

// ------------------------------------------------------------------ sending and checking

type World = { own: string; foreign: string; ownOrder: string };

const resolve = (r: string | Ref, w: World) => (typeof r === 'string' ? r : 'lit' in r ? r.lit : w[r.ref]);
const urlOf = (req: FuzzRequest, w: World) => '/api/' + req.path.map((p) => resolve(p, w)).join('/') + req.query;
const bodyBytes = (b?: Body) => (b?.bytes ? Buffer.from(b.bytes) : b?.text !== undefined ? Buffer.from(b.text, 'utf8') : undefined);

/** A one-line description of a request for failure messages (long parts shortened). */
function describe(req: FuzzRequest, w: World): string {
  const cut = (s: string) => (s.length > 160 ? `${s.slice(0, 120)}…(${s.length} chars)` : s);
  const body = req.body ? `${req.body.kind} body ${cut(req.body.text ?? `bytes ${JSON.stringify(req.body.bytes)}`)}` : 'no body';
  const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${cut(JSON.stringify(v))}`);
  return `${req.who} ${req.method} ${cut(urlOf(req, w))} [${headers.join('; ')}] ${body}`;
}

async function send(api: APIRequestContext, req: FuzzRequest, w: World): Promise<APIResponse> {
  return api.fetch(urlOf(req, w), {
    method: req.method,
    headers: req.headers,
    data: bodyBytes(req.body),
    failOnStatusCode: false,
    maxRedirects: 5,
  });
}

/** How many events the cart has beyond `known` (versions are contiguous, so this is exact), as its owner or an admin. */
async function eventsAfter(api: APIRequestContext, cartId: string, known: number): Promise<number> {
  let n = 0;
  let after = known;
  for (;;) {
    const page = await expectOk<{ events: unknown[]; nextCursor: string | null }>(await api.get(`/api/carts/${cartId}/events?after=${after}&limit=500`));
    n += page.events.length;
    if (!page.nextCursor) return n;
    after = Number(page.nextCursor);
  }
}

const cartCount = async (api: APIRequestContext) => (await expectOk<{ carts: Cart[] }>(await api.get('/api/carts?limit=200'))).carts.length;

test.describe('JSON API fuzzing (fast-check)', () => {
  test(`${RUNS} generated requests: never a 5xx; a 4xx is JSON and writes no event`, async ({ as }) => {
    test.setTimeout(180_000);
    test.info().annotations.push({ type: 'fuzz seed', description: `FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}` });
    console.log(`[fuzz] seed ${SEED}, ${RUNS} requests (rerun: FUZZ_SEED=${SEED})`);

    const owner = await as('admin');
    const clients: Record<Who, APIRequestContext> = { owner, other: await as('alice'), anon: await as(null) };
    const bob = await as('bob');

    // The owner's cart (its event count is watched), a cart of bob's (nobody here may ever change it),
    // and an order of the owner's.
    const foreign = (await createCart(bob)).cartId;
    await expectOk(await bob.post(`/api/carts/${foreign}/items`, { data: { productId: 'digital-scale', quantity: 1 } }));
    const orderCart = (await createCart(owner)).cartId;
    await expectOk(await owner.post(`/api/carts/${orderCart}/items`, { data: { productId: 'digital-scale', quantity: 1 } }));
    const ownOrder = (await expectOk<CommandBody>(await owner.post(`/api/carts/${orderCart}/checkout`))).orderId!;
    const world: World = { own: (await createCart(owner)).cartId, foreign, ownOrder };

    // Event counts of the watched carts, and how many carts the owner has.
    let counts = { own: await eventsAfter(owner, world.own, 0), foreign: await eventsAfter(owner, foreign, 0), carts: await cartCount(owner) };
    /**
     * What changed since `counts` on the carts this request could have touched: the cart its path names,
     * the owner's cart after any command (a path may resolve or redirect elsewhere), new carts after a POST.
     */
    const changes = async (req: FuzzRequest) => {
      const names = (ref: 'own' | 'foreign') => req.path.some((p) => typeof p !== 'string' && 'ref' in p && p.ref === ref);
      const command = req.method !== 'GET';
      const [own, foreignNew, carts] = await Promise.all([
        command || names('own') ? eventsAfter(owner, world.own, counts.own) : 0,
        command || names('foreign') ? eventsAfter(owner, foreign, counts.foreign) : 0,
        req.method === 'POST' ? cartCount(owner) : counts.carts,
      ]);
      return { own, foreign: foreignNew, carts: carts - counts.carts };
    };
    const statuses: Record<string, number> = {};
    const codes: Record<string, number> = {};
    let replays = 0;
    let commandsOk = 0;
    let n = 0;

    await fc.assert(
      fc.asyncProperty(requestArb(SEED), async (req) => {
        n++;
        const what = `request #${n} (FUZZ_SEED=${SEED}): ${describe(req, world)}`;
        const res = await send(clients[req.who], req, world);
        const status = res.status();
        const text = await res.text();
        statuses[status] = (statuses[status] ?? 0) + 1;
        expect(status, `${what}\n  answered ${status} ${text.slice(0, 300)}`).toBeLessThan(500);

        if (status >= 400) {
          expect(res.headers()['content-type'] ?? '', `${what}\n  a ${status} answers JSON`).toContain('application/json');
          const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
          expect(typeof body.error?.code, `${what}\n  ${text.slice(0, 300)}`).toBe('string');
          expect(typeof body.error?.message, `${what}\n  ${text.slice(0, 300)}`).toBe('string');
          codes[`${status} ${body.error!.code}`] = (codes[`${status} ${body.error!.code}`] ?? 0) + 1;
        }

        if (status < 300 && req.method !== 'GET') commandsOk++;
        const changed = await changes(req);
        expect(changed.foreign, `${what}\n  bob's cart must never change (${status})`).toBe(0);
        if (status >= 400) {
          expect(changed.own, `${what}\n  answered ${status} but the cart got new events`).toBe(0);
          expect(changed.carts, `${what}\n  answered ${status} but a cart was opened`).toBe(0);
        }
        counts = { own: counts.own + changed.own, foreign: counts.foreign, carts: counts.carts + changed.carts };

        // A command with an Idempotency-Key that succeeded: the same request again is a replay that
        // answers the same and appends nothing.
        const key = req.headers['idempotency-key'];
        if (status < 300 && req.method !== 'GET' && key && /^[\x21-\x7e]{1,200}$/.test(key) && !res.headers()['idempotent-replayed']) {
          replays++;
          const again = await send(clients[req.who], req, world);
          const againText = await again.text();
          expect(again.status(), `${what}\n  repeated with its Idempotency-Key: ${againText.slice(0, 300)}`).toBe(status);
          expect(again.headers()['idempotent-replayed'], `${what}\n  the repeat is marked as a replay`).toBe('true');
          expect(JSON.parse(againText), `${what}\n  the repeat answers the first answer`).toEqual(JSON.parse(text));
          expect(await changes(req), `${what}\n  the repeat appended nothing`).toEqual({ own: 0, foreign: 0, carts: 0 });
        }

        // Once the owner's cart is checked out every command on it is refused: give the owner a fresh one.
        if (status < 300 && req.method === 'POST' && (await expectOk<Cart>(await owner.get(`/api/carts/${world.own}`))).status === 'checked_out') {
          world.own = (await createCart(owner)).cartId;
          counts = { own: 1, foreign: counts.foreign, carts: counts.carts + 1 };
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );

    expect(await eventsAfter(owner, foreign, counts.foreign), "bob's cart never changed").toBe(0);
    console.log(`[fuzz] ${n} requests (+${replays} idempotent repeats), ${commandsOk} commands succeeded, statuses ${JSON.stringify(statuses)}`);
    console.log(`[fuzz] error codes ${JSON.stringify(codes)}`);
    // The generators must reach both sides, or the properties say little.
    expect(commandsOk, 'some commands succeeded').toBeGreaterThan(0);
    for (const s of ['400', '401', '404', '415']) expect(statuses[s] ?? 0, `some requests answered ${s}`).toBeGreaterThan(0);
  });
});

// ------------------------------------------------------------------ fixed cases

const paddedJson = (json: string, size: number) => {
  expect(Buffer.byteLength(json)).toBeLessThanOrEqual(size);
  return json + ' '.repeat(size - Buffer.byteLength(json));
};

test.describe('body size limit (64 KB)', () => {
  test('64 KB + 1 byte answers 413 on every command; exactly 64 KB of valid JSON is accepted', async ({ as }) => {
    const alice = await as('alice');
    const cartId = (await createCart(alice)).cartId;
    // The suite shares the demo stock (and holds it in carts): a product that still has a unit to add.
    const product = (await productWithStock(alice, 'gooseneck-kettle', 1)).id;
    const add = `{"productId":"${product}","quantity":1}`;
    const over = paddedJson(add, MAX_BODY + 1);
    expect(Buffer.byteLength(over)).toBe(65_537);

    await expectError(await alice.post(`/api/carts/${cartId}/items`, rawJson(over)), 413, 'payload_too_large');
    await expectError(await alice.patch(`/api/carts/${cartId}/items/gooseneck-kettle`, rawJson(paddedJson('{"quantity":2}', MAX_BODY + 1))), 413, 'payload_too_large');
    await expectError(await alice.post('/api/carts', rawJson(paddedJson('{}', MAX_BODY + 1))), 413, 'payload_too_large');
    expect((await expectOk<Cart>(await alice.get(`/api/carts/${cartId}`))).version).toBe(1);

    const exact = paddedJson(add, MAX_BODY);
    expect(Buffer.byteLength(exact)).toBe(65_536);
    const ok = await expectOk<CommandBody>(await alice.post(`/api/carts/${cartId}/items`, rawJson(exact)));
    expect(ok.version).toBe(2);
    // Multi-byte characters count as bytes, not characters: 21846 "é" (2 bytes each) in a string are over.
    const wide = `{"productId":"${'é'.repeat(32_760)}","quantity":1}`;
    expect(wide.length).toBeLessThan(MAX_BODY);
    await expectError(await alice.post(`/api/carts/${cartId}/items`, rawJson(wide)), 413, 'payload_too_large');
  });

  test('a chunked body without Content-Length is cut off at 64 KB too', async ({ as, baseURL }) => {
    const alice = await as('alice');
    const cartId = (await createCart(alice)).cartId;
    const cookie = (await alice.storageState()).cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const body = paddedJson('{"productId":"gooseneck-kettle","quantity":1}', MAX_BODY + 1);
    const { status, text } = await new Promise<{ status: number; text: string }>((done, fail) => {
      const req = http.request(
        new URL(`/api/carts/${cartId}/items`, baseURL),
        { method: 'POST', headers: { cookie, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
        (res) => {
          let t = '';
          res.on('data', (c) => (t += c));
          res.on('end', () => done({ status: res.statusCode!, text: t }));
        },
      );
      req.on('error', fail);
      for (let i = 0; i < body.length; i += 8192) req.write(body.slice(i, i + 8192));
      req.end();
    });
    expect(status, text).toBe(413);
    expect(JSON.parse(text).error.code).toBe('payload_too_large');
    expect((await expectOk<Cart>(await alice.get(`/api/carts/${cartId}`))).version).toBe(1);
  });
});

test.describe('prototype pollution', () => {
  test('"__proto__", "constructor" and "prototype" keys are refused by the strict schemas, and pollute nothing', async ({ as }) => {
    const alice = await as('alice');
    const cartId = (await createCart(alice)).cartId;
    const attempts: [string, string][] = [
      [`/api/carts/${cartId}/items`, '{"__proto__": {"polluted": 1}, "productId": "gooseneck-kettle", "quantity": 1}'],
      [`/api/carts/${cartId}/items`, '{"productId": "gooseneck-kettle", "quantity": 1, "constructor": {"prototype": {"polluted": 1}}}'],
      [`/api/carts/${cartId}/items`, '{"productId": "gooseneck-kettle", "__proto__": {"quantity": 1}}'],
      [`/api/carts/${cartId}/items`, '{"productId": "gooseneck-kettle", "quantity": 1, "prototype": {"polluted": 1}}'],
      ['/api/carts', '{"__proto__": {"currency": "USD", "polluted": 1}}'],
    ];
    for (const [url, body] of attempts) {
      const err = await expectError(await alice.post(url, rawJson(body)), 400, 'invalid_input');
      expect(err.issues?.some((i) => i.code === 'unrecognized_keys' || i.code === 'invalid_type'), JSON.stringify(err)).toBe(true);
    }
    await expectError(
      await alice.patch(`/api/carts/${cartId}/items/gooseneck-kettle`, rawJson('{"__proto__": {"polluted": 1}, "quantity": 2}')),
      400,
      'invalid_input',
    );
    await expectError(await alice.get(`/api/carts/${cartId}/events?__proto__[polluted]=1`), 400, 'invalid_input');
    expect((await expectOk<Cart>(await alice.get(`/api/carts/${cartId}`))).version).toBe(1);

    // Later requests still behave: nothing gained a "polluted" property, defaults are still defaults.
    const inStock = (await productWithStock(alice, 'gooseneck-kettle', 1)).id;
    const added = await expectOk<CommandBody>(await alice.post(`/api/carts/${cartId}/items`, { data: { productId: inStock, quantity: 1 } }));
    expect(added.version).toBe(2);
    const fresh = await expectOk<CommandBody>(await alice.post('/api/carts'), 201);
    expect(fresh.cart.currency).toBe('EUR');
    const seen = JSON.stringify([added, fresh, await (await alice.get('/api/products')).json(), await (await alice.get('/api/carts?limit=5')).json()]);
    expect(seen).not.toContain('polluted');
  });
});

test.describe('regressions found by the fuzzer', () => {
  test('state ?at= outside years 1-9999 (valid ISO, but not for PostgreSQL) answers, not 500', async ({ as }) => {
    const alice = await as('alice');
    const cartId = (await createCart(alice)).cartId;
    await expectError(await alice.get(`/api/carts/${cartId}/state?at=0000-01-01T00:00:00Z`), 404, 'no_state_at_point');
    await expectError(await alice.get(`/api/carts/${cartId}/state?at=${encodeURIComponent('0001-01-01T00:00:00+01:00')}`), 404, 'no_state_at_point');
    const late = await expectOk<{ version: number }>(await alice.get(`/api/carts/${cartId}/state?at=${encodeURIComponent('9999-12-31T23:59:59-23:59')}`));
    expect(late.version).toBe(1);
  });

  test('a method a route lacks answers a JSON 405 with Allow; /api itself answers JSON 404', async ({ as }) => {
    const alice = await as('alice');
    const cartId = (await createCart(alice)).cartId;
    for (const [method, url, allow] of [
      ['PUT', `/api/carts/${cartId}`, 'GET, DELETE'],
      ['PUT', '/api/carts', 'GET, POST'],
      ['GET', `/api/carts/${cartId}/checkout`, 'POST'],
      ['POST', `/api/carts/${cartId}/items/gooseneck-kettle`, 'PATCH, DELETE'],
      ['PATCH', '/api/products', 'GET'],
    ] as const) {
      const res = await alice.fetch(url, { method });
      await expectError(res, 405, 'method_not_allowed');
      expect(res.headers()['allow']).toBe(allow);
    }
    await expectError(await alice.get('/api'), 404, 'not_found');
    expect((await expectOk<Cart>(await alice.get(`/api/carts/${cartId}`))).version).toBe(1);
  });

  test('POST /api/carts repeated with its Idempotency-Key replays the first cart instead of 422', async ({ as }) => {
    const alice = await as('alice');
    const key = `open-${crypto.randomUUID()}`;
    const first = await alice.post('/api/carts', { headers: { 'Idempotency-Key': key } });
    const again = await alice.post('/api/carts', { headers: { 'Idempotency-Key': key } });
    const a = await expectOk<CommandBody>(first, 201);
    const b = await expectOk<CommandBody>(again, 201);
    expect(b).toEqual(a);
    expect(again.headers()['idempotent-replayed']).toBe('true');
    expect(again.headers()['location']).toBe(`/api/carts/${a.cartId}`);
    await expectError(await alice.post('/api/carts', { data: { currency: 'EUR' }, headers: { 'Idempotency-Key': key } }), 422, 'idempotency_key_reused');
  });
});

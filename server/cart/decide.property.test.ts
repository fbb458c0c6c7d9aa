import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, type CartCommand, type ProductSnapshot } from './decide';
import { repricingOf } from './reprice';
import { CartError } from './errors';
import { MAX_QUANTITY, MIN_QUANTITY, type CartEvent, type CartEventEnvelope } from './events';
import { fold, type CartState } from './evolve';

// Property-based tests of the pure decider: arbitrary command sequences go through decide + evolve,
// and the cart's invariants are checked after every step. fast-check prints the seed and the
// shrunk counterexample on failure; rerun one with `FC_SEED=<seed> npx vitest run server/cart/decide.property`.

const NUM_RUNS = Number(process.env.FC_RUNS ?? 300);
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
const params = { numRuns: NUM_RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) };

const CART_ID = 'cart-prop';
const USER_ID = 'user-prop';

// ------------------------------------------------------------------ arbitraries

/**
 * A small pool of ids, so sequences hit the same line again and again. Prototype keys are product ids
 * like any other: the decider must treat them as plain data (CheckOut looks products up by id).
 */
const productIds = ['espresso-beans', 'ceramic-mug', 'paper-filters', '__proto__', 'constructor', 'toString'] as const;
const productIdArb = fc.constantFrom(...productIds);

/** Stock from "sold out" to absurd, with the interesting edges weighted in. */
const stockArb = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 2, 98, 99, 100) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 12 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom(1e6, 2 ** 31 - 1, Number.MAX_SAFE_INTEGER) },
);

/** Mostly the cart's currency, sometimes another one (refused: currency_mismatch). */
const currencyArb = fc.oneof({ weight: 9, arbitrary: fc.constant('EUR') }, { weight: 1, arbitrary: fc.constant('USD') });

const snapshotArb = (productId: string): fc.Arbitrary<ProductSnapshot> =>
  fc.record({
    productId: fc.constant(productId),
    name: fc.string({ minLength: 1, maxLength: 12 }),
    unitPriceCents: fc.oneof(fc.constantFrom(0, 1, 99), fc.integer({ min: 0, max: 10_000_000 })),
    currency: currencyArb,
    stock: stockArb,
  });

/** A snapshot for this id, or none (the product does not exist: product_not_found). */
const maybeSnapshotArb = (productId: string) =>
  fc.oneof({ weight: 9, arbitrary: snapshotArb(productId) }, { weight: 1, arbitrary: fc.constant(null) });

/** Quantities in and out of range, plus values a JSON client could never send but a caller might. */
const quantityArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 12 }) },
  { weight: 3, arbitrary: fc.integer({ min: 30, max: 99 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, -0, 1, 98, 99, 100, -1) },
  { weight: 1, arbitrary: fc.integer({ min: -200, max: 300 }) },
  { weight: 1, arbitrary: fc.constantFrom(0.5, 1.5, 98.9999, Number.NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER, 2 ** 53) },
  { weight: 1, arbitrary: fc.double({ min: -1000, max: 1000, noNaN: false }) },
);

const openArb: fc.Arbitrary<CartCommand> = currencyArb.map((currency) => ({
  type: 'OpenCart',
  data: { cartId: CART_ID, userId: USER_ID, currency },
}));

const addArb: fc.Arbitrary<CartCommand> = productIdArb.chain((productId) =>
  fc.record({ quantity: quantityArb, product: maybeSnapshotArb(productId) }).map(
    ({ quantity, product }): CartCommand => ({ type: 'AddItem', data: { productId, quantity, product } }),
  ),
);

const changeArb: fc.Arbitrary<CartCommand> = productIdArb.chain((productId) =>
  fc.record({ quantity: quantityArb, product: maybeSnapshotArb(productId) }).map(
    ({ quantity, product }): CartCommand => ({ type: 'ChangeQuantity', data: { productId, quantity, product } }),
  ),
);

const removeArb: fc.Arbitrary<CartCommand> = productIdArb.map((productId): CartCommand => ({ type: 'RemoveItem', data: { productId } }));

/** The catalog at checkout: each pool product present (with any stock) or gone. */
const checkoutArb: fc.Arbitrary<CartCommand> = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 16, maxLength: 16 }),
    fc.tuple(...productIds.map((id) => fc.option(snapshotArb(id), { nil: undefined, freq: 6 }))),
  )
  .map(([hex, snaps]): CartCommand => {
    const products: Record<string, ProductSnapshot | undefined> = {};
    // defineProperty, so '__proto__' becomes an own key instead of changing the prototype.
    productIds.forEach((id, i) => {
      if (snaps[i]) Object.defineProperty(products, id, { value: snaps[i], enumerable: true, writable: true, configurable: true });
    });
    return { type: 'CheckOut', data: { orderId: `ord_${hex}`, products } };
  })
  // What the shopper was shown: the total at current prices, the cart's own total, or nothing (a JSON client).
  .chain((command) => fc.constantFrom('current', 'cart', 'none').map((shown) => (shownAtCheckout.set(command, shown), command)));

const shownAtCheckout = new WeakMap<CartCommand, 'current' | 'cart' | 'none'>();

/** Fills in expectedTotalCents as the generated shopper saw it (the decider itself looks nothing up). */
function withShownTotal(command: CartCommand, state: CartState | null): CartCommand {
  const shown = shownAtCheckout.get(command);
  if (command.type !== 'CheckOut' || !state || !shown || shown === 'none') return command;
  const prices = Object.fromEntries(state.items.map((l) => [l.productId, command.data.products[l.productId]?.unitPriceCents]));
  const expectedTotalCents = shown === 'cart' ? state.totalCents : (repricingOf(state.items, prices)?.totalCents ?? state.totalCents);
  return { ...command, data: { ...command.data, expectedTotalCents } };
}

/** A guest cart's lines (distinct products, whole quantities 1-99) and the catalog as at the merge. */
const mergeArb: fc.Arbitrary<CartCommand> = fc
  .tuple(
    fc.uniqueArray(fc.tuple(productIdArb, fc.integer({ min: 1, max: 99 })), { minLength: 0, maxLength: 4, selector: ([id]) => id }),
    fc.tuple(...productIds.map((id) => fc.option(snapshotArb(id), { nil: undefined, freq: 6 }))),
  )
  .map(([guestLines, snaps]): CartCommand => {
    const products: Record<string, ProductSnapshot | undefined> = {};
    productIds.forEach((id, i) => {
      if (snaps[i]) Object.defineProperty(products, id, { value: snaps[i], enumerable: true, writable: true, configurable: true });
    });
    const lines = guestLines.map(([productId, quantity]) => ({ productId, name: `guest ${productId}`, unitPriceCents: 100, quantity, lineTotalCents: 100 * quantity }));
    return { type: 'MergeGuestCart', data: { fromCartId: 'guest-cart', guestId: 'guest_1', lines, products } };
  });

const commandArb: fc.Arbitrary<CartCommand> = fc.oneof(
  { weight: 1, arbitrary: mergeArb },
  { weight: 1, arbitrary: openArb },
  { weight: 8, arbitrary: addArb },
  { weight: 4, arbitrary: changeArb },
  { weight: 2, arbitrary: removeArb },
  { weight: 1, arbitrary: checkoutArb },
);

/** Mostly a cart that is opened first; sometimes commands against no cart at all. */
const sequenceArb = fc
  .tuple(fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), fc.array(commandArb, { minLength: 1, maxLength: 40 }))
  .map(([openFirst, commands]) =>
    openFirst ? [{ type: 'OpenCart', data: { cartId: CART_ID, userId: USER_ID, currency: 'EUR' } } as CartCommand, ...commands] : commands,
  );

// ------------------------------------------------------------------ the invariants

const occurredAt = (version: number) => new Date(Date.UTC(2025, 0, 1) + version * 1000).toISOString();

function stamp(events: CartEvent[], fromVersion: number): CartEventEnvelope[] {
  return events.map((e, i) => ({ ...e, version: fromVersion + i, occurredAt: occurredAt(fromVersion + i) }));
}

const sum = (ns: number[]) => ns.reduce((a, b) => a + b, 0);

function expectInvariants(state: CartState) {
  for (const l of state.items) {
    expect(Number.isInteger(l.quantity), `quantity ${l.quantity} of ${l.productId} is an integer`).toBe(true);
    expect(l.quantity).toBeGreaterThanOrEqual(MIN_QUANTITY);
    expect(l.quantity).toBeLessThanOrEqual(MAX_QUANTITY);
    expect(l.lineTotalCents).toBe(l.unitPriceCents * l.quantity);
    expect(Number.isSafeInteger(l.lineTotalCents)).toBe(true);
  }
  expect(state.totalCents).toBe(sum(state.items.map((l) => l.lineTotalCents)));
  expect(state.itemCount).toBe(sum(state.items.map((l) => l.quantity)));
  expect(new Set(state.items.map((l) => l.productId)).size, 'no duplicate product lines').toBe(state.items.length);
  expect(state.status === 'checked_out').toBe(state.orderId !== null);
}

/** Which refusals each command may give: anything else (or a non-CartError) is a bug. */
const allowedRefusals: Record<CartCommand['type'], string[]> = {
  OpenCart: ['cart_exists'],
  AddItem: ['cart_not_found', 'cart_closed', 'invalid_quantity', 'product_not_found', 'currency_mismatch', 'quantity_limit', 'insufficient_stock'],
  ChangeQuantity: ['cart_not_found', 'cart_closed', 'invalid_quantity', 'line_not_found', 'product_not_found', 'insufficient_stock'],
  RemoveItem: ['cart_not_found', 'cart_closed', 'line_not_found'],
  CheckOut: ['cart_not_found', 'cart_closed', 'cart_empty', 'product_unavailable', 'insufficient_stock', 'prices_changed', 'total_changed'],
  AbandonCart: ['cart_not_found', 'cart_closed'],
  ExpireCart: ['cart_not_found'],
  ExpireReservations: ['cart_not_found'],
  MergeGuestCart: ['cart_not_found', 'cart_closed'],
  MarkMergedInto: ['cart_not_found'],
  ReopenCart: ['cart_not_found'],
  ResumeOrder: ['cart_not_found', 'cart_closed', 'cart_changed', 'product_unavailable', 'insufficient_stock'],
};

const lineOf = (state: CartState | null, productId: string) => state?.items.find((l) => l.productId === productId);

/** What an accepted command must have done, checked against the state before and after. */
function expectEffect(command: CartCommand, before: CartState | null, after: CartState, events: CartEvent[]) {
  switch (command.type) {
    case 'OpenCart':
      expect(before).toBeNull();
      expect(after).toMatchObject({ status: 'open', items: [], currency: command.data.currency, userId: USER_ID });
      break;
    case 'AddItem': {
      const { productId, quantity, product } = command.data;
      const prev = lineOf(before, productId)?.quantity ?? 0;
      const now = lineOf(after, productId)!;
      expect(product).not.toBeNull();
      expect(now.quantity).toBe(prev + quantity);
      expect(product!.stock, 'never more in the cart than in stock').toBeGreaterThanOrEqual(now.quantity);
      expect(product!.currency).toBe(before!.currency);
      expect(now.unitPriceCents).toBe(product!.unitPriceCents);
      break;
    }
    case 'ChangeQuantity': {
      const { productId, quantity, product } = command.data;
      const prev = lineOf(before, productId);
      expect(prev, 'only an existing line can change').toBeDefined();
      if (quantity === 0) expect(lineOf(after, productId)).toBeUndefined();
      else expect(lineOf(after, productId)?.quantity).toBe(quantity);
      if (quantity > prev!.quantity) expect(product!.stock).toBeGreaterThanOrEqual(quantity);
      if (quantity === prev!.quantity) expect(events).toEqual([]);
      break;
    }
    case 'RemoveItem':
      expect(lineOf(before, command.data.productId)).toBeDefined();
      expect(lineOf(after, command.data.productId)).toBeUndefined();
      break;
    case 'CheckOut': {
      expect(before!.items.length).toBeGreaterThan(0);
      // Every line is charged at the catalog's current price, and the total is the one the shopper saw.
      const charged = before!.items.map((l) => {
        const unit = command.data.products[l.productId]!.unitPriceCents;
        return { ...l, unitPriceCents: unit, lineTotalCents: unit * l.quantity };
      });
      const totalCents = charged.reduce((n, l) => n + l.lineTotalCents, 0);
      const repriced = charged.some((l, i) => l.unitPriceCents !== before!.items[i].unitPriceCents);
      if (repriced || command.data.expectedTotalCents !== undefined) expect(totalCents).toBe(command.data.expectedTotalCents);
      expect(after).toMatchObject({ status: 'checked_out', orderId: command.data.orderId, items: charged, totalCents });
      expect(events.map((e) => e.type)).toEqual(repriced ? ['CartRepriced', 'CartCheckedOut'] : ['CartCheckedOut']);
      const e = events[events.length - 1];
      if (e.type === 'CartCheckedOut') {
        expect(e.data).toEqual({
          orderId: command.data.orderId,
          items: charged,
          itemCount: before!.itemCount,
          totalCents,
          currency: before!.currency,
        });
      }
      for (const l of before!.items) {
        expect(Object.hasOwn(command.data.products, l.productId)).toBe(true);
        expect(command.data.products[l.productId]!.stock).toBeGreaterThanOrEqual(l.quantity);
      }
      break;
    }
    case 'MergeGuestCart': {
      // Every guest line is accounted for: merged whole, or named in `capped` with what did fit.
      const [e] = events;
      expect(e.type).toBe('GuestCartMerged');
      if (e.type !== 'GuestCartMerged') break;
      for (const g of command.data.lines) {
        const merged = e.data.lines.find((l) => l.productId === g.productId)?.quantity ?? 0;
        const short = e.data.capped.find((c) => c.productId === g.productId);
        if (short) expect(short).toMatchObject({ requested: g.quantity, merged });
        else expect(merged).toBe(g.quantity);
        const prev = lineOf(before, g.productId)?.quantity ?? 0;
        expect(lineOf(after, g.productId)?.quantity ?? 0).toBe(prev + merged);
        if (merged > 0) expect(command.data.products[g.productId]!.stock, 'never more in the cart than in stock').toBeGreaterThanOrEqual(prev + merged);
      }
      break;
    }
    case 'MarkMergedInto':
      expect(after.status).toBe('merged');
      break;
  }
}

type Stats = { runs: number; steps: number; accepted: number; refused: Record<string, number>; checkedOut: number; afterClose: number };

/** Runs one sequence step by step, checking everything; returns what happened for the statistics. */
function runSequence(commands: CartCommand[], stats: Stats) {
  let state: CartState | null = null;
  const produced: CartEventEnvelope[] = [];
  stats.runs++;
  for (const generated of commands) {
    const command = withShownTotal(generated, state);
    stats.steps++;
    const before = structuredClone(state);
    const closed = state?.status === 'checked_out';
    let events: CartEvent[];
    try {
      events = decide(command, state);
    } catch (e) {
      // A refusal is a CartError with a code this command may give, and it leaves the state alone.
      expect(e).toBeInstanceOf(CartError);
      const code = (e as CartError).code;
      expect(allowedRefusals[command.type], `${command.type} refused with ${code}`).toContain(code);
      expect(state).toEqual(before);
      if (closed) {
        expect(code).toBe(command.type === 'OpenCart' ? 'cart_exists' : 'cart_closed');
        stats.afterClose++;
      }
      stats.refused[code] = (stats.refused[code] ?? 0) + 1;
      continue;
    }
    // A checked-out cart never changes: decide must have refused above.
    expect(closed, `${command.type} was accepted on a checked-out cart`).toBe(false);
    stats.accepted++;
    const envelopes = stamp(events, (state?.version ?? 0) + 1);
    const next: CartState | null = fold(envelopes, state);
    expect(state, 'evolve does not mutate the previous state').toEqual(before);
    if (events.length === 0) {
      expect(next).toBe(state);
      continue;
    }
    expect(next).not.toBeNull();
    expect(next!.version, 'the version grows by the number of events').toBe((state?.version ?? 0) + events.length);
    expectEffect(command, state, next!, events);
    expectInvariants(next!);
    produced.push(...envelopes);
    state = next;
    if (state!.status === 'checked_out') stats.checkedOut++;
  }
  // Replaying every produced event from nothing gives the state reached step by step.
  expect(fold(produced)).toEqual(state);
  expect(produced.map((e) => e.version)).toEqual(produced.map((_, i) => i + 1));
}

describe('decide + evolve: properties over arbitrary command sequences', () => {
  it(`keeps the cart's invariants after every step (${NUM_RUNS} sequences of up to 41 commands)`, () => {
    const stats: Stats = { runs: 0, steps: 0, accepted: 0, refused: {}, checkedOut: 0, afterClose: 0 };
    fc.assert(
      fc.property(sequenceArb, (commands) => runSequence(commands, stats)),
      params,
    );
    // The generators must reach the interesting places, or the properties prove little.
    expect(stats.accepted).toBeGreaterThan(stats.runs);
    expect(stats.checkedOut).toBeGreaterThan(0);
    expect(stats.afterClose).toBeGreaterThan(0);
    for (const code of ['invalid_quantity', 'insufficient_stock', 'quantity_limit', 'line_not_found', 'cart_closed', 'product_not_found', 'prices_changed']) {
      expect(stats.refused[code] ?? 0, `the sequences reached ${code}`).toBeGreaterThan(0);
    }
    console.info(`decide properties: ${stats.runs} sequences, ${stats.steps} commands, ${stats.accepted} accepted, refused ${JSON.stringify(stats.refused)}`);
  });

  it('a checked-out cart refuses every further command and never changes', () => {
    // Any reachable checked-out cart: open, fill from the arbitrary adds that were accepted, check out.
    const closedCartArb = fc.array(addArb, { minLength: 1, maxLength: 15 }).chain((adds) => {
      let state: CartState | null = fold(stamp([{ type: 'CartOpened', data: { cartId: CART_ID, userId: USER_ID, currency: 'EUR' } }], 1));
      for (const add of adds) {
        try {
          state = fold(stamp(decide(add, state), state!.version + 1), state);
        } catch {
          // refused adds leave the cart as it was
        }
      }
      const filled = state!;
      const products = Object.fromEntries(
        filled.items.map((l) => [l.productId, { productId: l.productId, name: l.name, unitPriceCents: l.unitPriceCents, currency: 'EUR', stock: 99 }]),
      );
      return fc.constant({ filled, products });
    });
    fc.assert(
      fc.property(closedCartArb, fc.array(commandArb, { minLength: 1, maxLength: 20 }), ({ filled, products }, later) => {
        fc.pre(filled.items.length > 0);
        const closed = fold(stamp(decide({ type: 'CheckOut', data: { orderId: 'ord_00000000000000ff', products } }, filled), filled.version + 1), filled)!;
        expect(closed.status).toBe('checked_out');
        const frozen = structuredClone(closed);
        for (const command of later) {
          let error: unknown;
          try {
            decide(command, closed);
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(CartError);
          expect((error as CartError).code).toBe(command.type === 'OpenCart' ? 'cart_exists' : 'cart_closed');
          expect(closed).toEqual(frozen);
        }
      }),
      params,
    );
  });

  it('replaying a stream gives the same state however the fold is split (snapshots are safe)', () => {
    fc.assert(
      fc.property(sequenceArb, fc.nat(), (commands, cut) => {
        let state: CartState | null = null;
        const produced: CartEventEnvelope[] = [];
        for (const command of commands) {
          try {
            const envelopes = stamp(decide(command, state), (state?.version ?? 0) + 1);
            state = fold(envelopes, state);
            produced.push(...envelopes);
          } catch (e) {
            if (!(e instanceof CartError)) throw e;
          }
        }
        const at = produced.length === 0 ? 0 : cut % (produced.length + 1);
        const snapshot = structuredClone(fold(produced.slice(0, at)));
        expect(fold(produced.slice(at), snapshot)).toEqual(fold(produced));
        expect(fold(produced)).toEqual(state);
      }),
      params,
    );
  });

  it('near the limits, AddItem and ChangeQuantity are accepted exactly when the rules allow (oracle)', () => {
    // One line of `held` units; the request and the stock sit a few units either side of it, where
    // off-by-one mistakes live.
    const boundaryArb = fc.record({
      held: fc.integer({ min: 1, max: MAX_QUANTITY }),
      kind: fc.constantFrom('add', 'change'),
      same: fc.boolean(),
      qDelta: fc.integer({ min: -3, max: 3 }),
      stockDelta: fc.integer({ min: -2, max: 2 }),
      exists: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      price: fc.integer({ min: 0, max: 100_000 }),
    });
    fc.assert(
      fc.property(boundaryArb, ({ held, kind, same, qDelta, stockDelta, exists, price }) => {
        const opened: CartEvent = { type: 'CartOpened', data: { cartId: CART_ID, userId: USER_ID, currency: 'EUR' } };
        const added: CartEvent = { type: 'ItemAdded', data: { productId: 'ceramic-mug', name: 'Mug', unitPriceCents: 1200, quantity: held } };
        const state = fold(stamp([opened, added], 1))!;
        const productId = same ? 'ceramic-mug' : 'paper-filters';
        const current = same ? held : 0;
        const quantity = kind === 'add' ? Math.max(0, qDelta + 2) : current + qDelta;
        const wanted = kind === 'add' ? current + quantity : quantity;
        const stock = Math.max(0, wanted + stockDelta);
        const product = exists ? { productId, name: 'P', unitPriceCents: price, currency: 'EUR', stock } : null;
        const command: CartCommand =
          kind === 'add'
            ? { type: 'AddItem', data: { productId, quantity, product } }
            : { type: 'ChangeQuantity', data: { productId, quantity, product } };

        const inRange = Number.isInteger(quantity) && quantity >= (kind === 'add' ? 1 : 0) && quantity <= MAX_QUANTITY;
        const allowed =
          kind === 'add'
            ? inRange && exists && wanted <= MAX_QUANTITY && stock >= wanted
            : inRange && same && (quantity <= current || (exists && stock >= quantity));

        let events: CartEvent[] | null = null;
        try {
          events = decide(command, state);
        } catch (e) {
          expect(e).toBeInstanceOf(CartError);
        }
        expect(events !== null, `${kind} ${quantity} holding ${current}, stock ${stock}, product ${exists}`).toBe(allowed);
        if (events) {
          const next = fold(stamp(events, state.version + 1), state)!;
          expectEffect(command, state, next, events);
          expectInvariants(next);
        }
      }),
      { ...params, numRuns: NUM_RUNS * 3 },
    );
  });
});

// Event schema versions. Every stored event records the schema version of its `data`; readers see only
// the current one: an old event is upcast step by step (v1 -> v2 -> ... -> current) when it is read,
// never rewritten in place (the events table is append-only). Pure: no I/O, safe for the browser.
//
// To change an event's data: add the new shape to events.ts, bump `current` below and add the
// upcaster from the previous version. The upcaster must be lossless (everything the old event said
// survives), and must refuse rather than guess when the old data does not look as expected.
import type { CartEventType } from './events';

/** Turns the data of version n into the data of version n + 1. */
export type Upcaster = (data: unknown) => unknown;

/** `upcasters[n]` turns version n into version n + 1; versions 1..current-1 need one each. */
export type EventSchema = { current: number; upcasters: Partial<Record<number, Upcaster>> };

export type SchemaRegistry = Record<string, EventSchema>;

/** Data that cannot be upcast: a newer version than this code knows, or an old event of an unexpected shape. */
export class UpcastError extends Error {
  constructor(
    readonly type: string,
    readonly schemaVersion: number,
    message: string,
  ) {
    super(`${type} v${schemaVersion}: ${message}`);
    this.name = 'UpcastError';
  }
}

// ------------------------------------------------------------------ ItemAdded v1 -> v2

/** ItemAdded as v1 wrote it: the unit price as a decimal string in the major unit (euros), e.g. "24.90". */
export type ItemAddedV1Data = { productId: string; name: string; unitPrice: string; quantity: number };
/** ItemAdded v2 (current): the unit price as an integer number of minor units (cents). */
export type ItemAddedV2Data = { productId: string; name: string; unitPriceCents: number; quantity: number };

const DECIMAL_PRICE = /^(\d+)(?:\.(\d{1,2}))?$/;

/** "24.90" -> 2490, exactly (no floating point). More than two decimals is refused: it would not be lossless. */
export function decimalToCents(price: string): number {
  const m = DECIMAL_PRICE.exec(price);
  if (!m) throw new RangeError(`"${price}" is not a price with at most two decimals`);
  const cents = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  if (!Number.isSafeInteger(cents)) throw new RangeError(`"${price}" is too large to hold in cents exactly`);
  return cents;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function itemAddedV1ToV2(data: unknown): ItemAddedV2Data {
  if (!isObject(data)) throw new UpcastError('ItemAdded', 1, 'data is not an object');
  // Events this codebase wrote before schema versions were recorded carry the column default (1)
  // but already have the v2 shape: keep them exactly as they are.
  if (Number.isInteger(data.unitPriceCents) && !('unitPrice' in data)) return data as ItemAddedV2Data;
  if ('unitPriceCents' in data) throw new UpcastError('ItemAdded', 1, 'both unitPrice and unitPriceCents: ambiguous');
  const { unitPrice, ...rest } = data;
  if (typeof unitPrice !== 'string') throw new UpcastError('ItemAdded', 1, 'unitPrice is not a decimal string');
  let unitPriceCents: number;
  try {
    unitPriceCents = decimalToCents(unitPrice);
  } catch (e) {
    throw new UpcastError('ItemAdded', 1, (e as Error).message);
  }
  const { productId, name, quantity, ...other } = rest;
  // Same keys in the same order as v2 events written today, plus anything else v1 carried.
  return { productId, name, unitPriceCents, quantity, ...other } as ItemAddedV2Data;
}

// ------------------------------------------------------------------ the registry

export const cartEventSchemas: Record<CartEventType, EventSchema> = {
  CartOpened: { current: 1, upcasters: {} },
  ItemAdded: { current: 2, upcasters: { 1: itemAddedV1ToV2 } },
  ItemQuantityChanged: { current: 1, upcasters: {} },
  ItemRemoved: { current: 1, upcasters: {} },
  CartCheckedOut: { current: 1, upcasters: {} },
  ReservationsExpired: { current: 1, upcasters: {} },
  CartAbandoned: { current: 1, upcasters: {} },
  CartExpired: { current: 1, upcasters: {} },
  CartRepriced: { current: 1, upcasters: {} },
  GuestCartMerged: { current: 1, upcasters: {} },
  CartMergedInto: { current: 1, upcasters: {} },
  CartReopened: { current: 1, upcasters: {} },
};

/** The schema version new events of this type are written with. */
export function currentSchemaVersion(type: string, registry: SchemaRegistry = cartEventSchemas): number {
  return Object.hasOwn(registry, type) ? registry[type].current : 1;
}

/**
 * The data of an event at its type's current schema version. Unknown types pass through unchanged;
 * a version newer than this code knows (written by a newer release) is refused, never misread.
 */
export function upcastWith(
  registry: SchemaRegistry,
  type: string,
  schemaVersion: number,
  data: unknown,
): { schemaVersion: number; data: unknown } {
  if (!Object.hasOwn(registry, type)) return { schemaVersion, data };
  const { current, upcasters } = registry[type];
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1) {
    throw new UpcastError(type, schemaVersion, 'schema versions are whole numbers from 1');
  }
  if (schemaVersion > current) {
    throw new UpcastError(type, schemaVersion, `this code knows versions up to ${current}; was it written by a newer release?`);
  }
  let v = schemaVersion;
  let d = data;
  while (v < current) {
    const step = upcasters[v];
    if (!step) throw new UpcastError(type, v, `no upcaster from v${v} to v${v + 1}`);
    d = step(d);
    v++;
  }
  return { schemaVersion: v, data: d };
}

export const upcast = (type: string, schemaVersion: number, data: unknown) => upcastWith(cartEventSchemas, type, schemaVersion, data);

import { describe, expect, it } from 'vitest';
import { canonical, compareRows, normalizeValue, type ColumnInfo } from './compare';

const columns: ColumnInfo[] = [
  { name: 'cart_id', kind: 'scalar' },
  { name: 'items', kind: 'json' },
  { name: 'total_cents', kind: 'scalar' },
  { name: 'updated_at', kind: 'timestamp' },
];

describe('read-model row comparison', () => {
  it('jsonb key order does not matter; values and array order do', () => {
    expect(canonical({ b: 1, a: [{ y: 2, x: 1 }] })).toBe(canonical({ a: [{ x: 1, y: 2 }], b: 1 }));
    expect(canonical([1, 2])).not.toBe(canonical([2, 1]));
    expect(canonical({ a: 1 })).not.toBe(canonical({ a: '1' }));
  });

  it('timestamps compare as instants whatever the driver hands back', () => {
    const iso = '2026-01-01T10:00:00.123Z';
    expect(normalizeValue('timestamp', new Date(iso))).toBe(iso);
    expect(normalizeValue('timestamp', '2026-01-01 11:00:00.123+01')).toBe(iso);
    expect(normalizeValue('json', '[{"a":1}]')).toEqual([{ a: 1 }]);
    expect(normalizeValue('scalar', null)).toBeNull();
  });

  it('names each differing column, missing rows and rows no event explains', () => {
    const row = { cart_id: 'c1', items: [{ productId: 'p', quantity: 1 }], total_cents: 100, updated_at: '2026-01-01T00:00:00.000Z' };
    expect(compareRows('c1', 'carts', 'cart_id', columns, [row], [{ ...row, items: [{ quantity: 1, productId: 'p' }] }])).toEqual([]);
    expect(compareRows('c1', 'carts', 'cart_id', columns, [row], [{ ...row, total_cents: 1, updated_at: '2026-01-02T00:00:00.000Z' }])).toEqual([
      { cartId: 'c1', projection: 'carts', key: 'c1', field: 'total_cents', expected: 100, actual: 1 },
      { cartId: 'c1', projection: 'carts', key: 'c1', field: 'updated_at', expected: '2026-01-01T00:00:00.000Z', actual: '2026-01-02T00:00:00.000Z' },
    ]);
    expect(compareRows('c1', 'carts', 'cart_id', columns, [row], [])).toEqual([
      { cartId: 'c1', projection: 'carts', key: 'c1', field: 'row', expected: 'present', actual: 'missing' },
    ]);
    expect(compareRows('c1', 'orders', 'cart_id', columns, [], [row])).toEqual([
      { cartId: 'c1', projection: 'orders', key: 'c1', field: 'row', expected: 'absent', actual: 'present' },
    ]);
  });
});

// Pure comparison of expected read-model rows (folded from events) with the rows a table holds.
import type { FieldValue, Mismatch, ProjectionName } from './types';

/** A row keyed by database column name, values normalised (dates as ISO strings, jsonb parsed). */
export type DbRecord = Record<string, FieldValue>;

export type ColumnKind = 'timestamp' | 'json' | 'scalar';
export type ColumnInfo = { name: string; kind: ColumnKind };

/** Driver values -> comparable, JSON-friendly values. Both drivers give Dates; strings are accepted too. */
export function normalizeValue(kind: ColumnKind, v: unknown): FieldValue {
  if (v === null || v === undefined) return null;
  if (kind === 'timestamp') {
    const d = v instanceof Date ? v : new Date(String(v));
    return Number.isNaN(d.getTime()) ? String(v) : d.toISOString();
  }
  if (kind === 'json' && typeof v === 'string') {
    try {
      return JSON.parse(v) as FieldValue;
    } catch {
      return v;
    }
  }
  if (typeof v === 'bigint') return Number(v);
  return v as FieldValue;
}

/** JSON with sorted object keys: jsonb hands keys back in its own order, JavaScript in insertion order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/**
 * Every difference between the rows one cart stream should produce and the rows the table holds for
 * that cart: missing rows, rows no event explains, and each column that differs.
 */
export function compareRows(
  cartId: string,
  projection: ProjectionName,
  keyColumn: string,
  columns: ColumnInfo[],
  expected: DbRecord[],
  actual: DbRecord[],
): Mismatch[] {
  const out: Mismatch[] = [];
  const actualByKey = new Map(actual.map((r) => [String(r[keyColumn]), r]));
  const expectedKeys = new Set<string>();
  for (const exp of expected) {
    const key = String(exp[keyColumn]);
    expectedKeys.add(key);
    const act = actualByKey.get(key);
    if (!act) {
      out.push({ cartId, projection, key, field: 'row', expected: 'present', actual: 'missing' });
      continue;
    }
    for (const c of columns) {
      if (canonical(exp[c.name]) !== canonical(act[c.name])) {
        out.push({ cartId, projection, key, field: c.name, expected: exp[c.name] ?? null, actual: act[c.name] ?? null });
      }
    }
  }
  for (const act of actual) {
    const key = String(act[keyColumn]);
    if (!expectedKeys.has(key)) out.push({ cartId, projection, key, field: 'row', expected: 'absent', actual: 'present' });
  }
  return out;
}

/** Mismatches -> the number of distinct carts they concern. */
export const distinctCarts = (ms: Mismatch[]) => new Set(ms.map((m) => m.cartId)).size;

// URLs of the audit page and its export, built from the filters as they appear in a query string.
// Pure (no server code): the page, the filter form, the pager and the export menu share it.

export const AUDIT_PATH = '/admin/audit';
export const EXPORT_PATH = '/api/admin/events/export';

/** The audit's query parameters as strings, exactly as they go into a URL. */
export type AuditParams = {
  userId?: string;
  cartId?: string;
  type?: string;
  from?: string;
  to?: string;
  limit?: string;
  after?: string;
};

const KEYS = ['userId', 'cartId', 'type', 'from', 'to', 'limit', 'after'] as const;
const FILTER_KEYS = ['userId', 'cartId', 'type', 'from', 'to'] as const;

/** The audit's own parameters from Next's searchParams (first value of each; anything else ignored). */
export function pickAuditParams(sp: Record<string, string | string[] | undefined>): AuditParams {
  const out: AuditParams = {};
  for (const k of KEYS) {
    const v = sp[k];
    const s = Array.isArray(v) ? v[0] : v;
    if (s !== undefined && s.trim() !== '') out[k] = s.trim();
  }
  return out;
}

const query = (p: Record<string, string | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

const filtersOf = (p: AuditParams) => Object.fromEntries(FILTER_KEYS.map((k) => [k, p[k]]));

export const hasFilters = (p: AuditParams) => FILTER_KEYS.some((k) => p[k] !== undefined);

/** The audit page with these filters (and page size), from the newest event or older than `after`. */
export function auditHref(p: AuditParams): string {
  return `${AUDIT_PATH}${query({ ...filtersOf(p), limit: p.limit, after: p.after })}`;
}

/** The export of everything these filters match (no page size, no cursor: the whole result). */
export function exportHref(p: AuditParams, format: 'csv' | 'json'): string {
  return `${EXPORT_PATH}${query({ format, ...filtersOf(p) })}`;
}

export const historyHref = (cartId: string) => `/carts/${cartId}/history`;
export const timeTravelHref = (cartId: string, version: number) => `/carts/${cartId}/time-travel?version=${version}`;

/** A Date as a datetime-local field value, in UTC to the second ("2026-11-23T13:57:19"). */
export function toDateTimeLocal(d: Date): string {
  return d.toISOString().slice(0, 19);
}

import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';

// Auth.js's auth() costs a few milliseconds of CPU per call: it builds a Request for its own session
// endpoint, derives a key and computes a CSRF token, decrypts the session JWT, and then encrypts a
// refreshed one for a Set-Cookie that auth() throws away when called from server code. Every API
// request asks for the user, so the answer is kept per session cookie until the token's own expiry:
// a JWT session is a function of the cookie, the secret and our callbacks, and none of those change.
// Only signed-in answers are kept; a missing, broken or expired cookie always goes to Auth.js.

type Entry<U> = { user: U; until: number };

/** The request's parts auth() reads: the session cookie(s) and what decides the auth URL's origin. */
export function sessionCacheKey(headers: Headers): string | null {
  const cookie = headers.get('cookie');
  if (!cookie || !cookie.includes('session-token')) return null;
  const parts: string[] = [];
  for (const pair of cookie.split(';')) {
    const p = pair.trim();
    const eq = p.indexOf('=');
    // authjs.session-token, __Secure-authjs.session-token and their chunks (.0, .1, ...).
    if (eq > 0 && p.slice(0, eq).includes('session-token')) parts.push(p);
  }
  if (parts.length === 0) return null;
  return createHash('sha256')
    .update(
      [headers.get('x-forwarded-proto') ?? '', headers.get('x-forwarded-host') ?? '', headers.get('host') ?? '', ...parts].join('\n'),
    )
    .digest('base64url');
}

// The JWT callback runs inside auth() with the decoded token; it reports the token's expiry here. One
// store per process: Next may load this module more than once (route and action bundles).
const globalForProbe = globalThis as unknown as { __eventcartTokenExpiry?: AsyncLocalStorage<{ exp?: number }> };
const expiryProbe = (globalForProbe.__eventcartTokenExpiry ??= new AsyncLocalStorage<{ exp?: number }>());

/** Called from the jwt callback: the expiry (seconds since the epoch) of the token Auth.js just verified. */
export function reportTokenExpiry(exp: unknown) {
  const probe = expiryProbe.getStore();
  if (probe && typeof exp === 'number' && Number.isFinite(exp)) probe.exp = exp;
}

export class SessionCache<U> {
  private readonly entries = new Map<string, Entry<U>>();

  constructor(
    private readonly maxEntries = 1000,
    /** Upper bound on how long an answer is reused, whatever the token's expiry. */
    private readonly maxAgeMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size() {
    return this.entries.size;
  }

  /**
   * The user for this key, from the cache or from `load` (which runs auth()). A loaded user is kept
   * only when the jwt callback reported the token's expiry, and never past it.
   */
  async get(key: string | null, load: () => Promise<U | null>): Promise<U | null> {
    if (key === null) return load();
    const hit = this.entries.get(key);
    if (hit) {
      if (hit.until > this.now()) return hit.user;
      this.entries.delete(key);
    }
    const probe: { exp?: number } = {};
    const user = await expiryProbe.run(probe, load);
    if (user !== null && probe.exp !== undefined) {
      const t = this.now();
      const until = Math.min(probe.exp * 1000, t + this.maxAgeMs);
      if (until > t) this.put(key, { user, until });
    }
    return user;
  }

  clear() {
    this.entries.clear();
  }

  private put(key: string, e: Entry<U>) {
    if (this.entries.size >= this.maxEntries) {
      const t = this.now();
      for (const [k, v] of this.entries) if (v.until <= t) this.entries.delete(k);
      // Still full: drop the oldest (a Map keeps insertion order).
      for (const k of this.entries.keys()) {
        if (this.entries.size < this.maxEntries) break;
        this.entries.delete(k);
      }
    }
    this.entries.set(key, e);
  }
}

import { z } from 'zod';
import { AppError } from './errors';
import { log } from '../log';

// Fixed-window rate limits kept in this app process's memory. Per instance: behind a load balancer
// with N app servers a client gets up to N times the limit. The next step there is a shared store
// (Redis INCR + EXPIRE, or a PostgreSQL table) behind the same `consume` interface.

export type Rule = { limit: number; windowSeconds: number };
export type Decision = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };

type Window = { count: number; resetAt: number };

/** At most `limit` hits per key in each window of `windowSeconds`; the window starts at a key's first hit. */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, Window>();
  private nextSweep = 0;

  constructor(
    readonly rule: Rule,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts a hit for the key; refused (and not counted) when the key's window is full. */
  consume(key: string): Decision {
    const t = this.now();
    this.sweep(t);
    let w = this.windows.get(key);
    if (!w || w.resetAt <= t) {
      w = { count: 0, resetAt: t + this.rule.windowSeconds * 1000 };
      this.windows.set(key, w);
    }
    if (w.count >= this.rule.limit) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((w.resetAt - t) / 1000)) };
    }
    w.count++;
    return { ok: true, remaining: this.rule.limit - w.count };
  }

  /** Gives a hit back (a sign-in that succeeded does not count as a failure). */
  refund(key: string): void {
    const w = this.windows.get(key);
    if (w && w.resetAt > this.now() && w.count > 0) w.count--;
  }

  get size(): number {
    return this.windows.size;
  }

  // Expired windows are dropped once per window length, or sooner when the map grows past maxKeys,
  // so a flood of distinct keys (spoofed emails) cannot grow memory without bound.
  private sweep(t: number) {
    if (t < this.nextSweep && this.windows.size < this.maxKeys) return;
    for (const [k, w] of this.windows) if (w.resetAt <= t) this.windows.delete(k);
    if (this.windows.size >= this.maxKeys) {
      // Still full of live windows: forget the oldest (Map keeps insertion order).
      const excess = this.windows.size - Math.floor(this.maxKeys * 0.9);
      let i = 0;
      for (const k of this.windows.keys()) {
        if (i++ >= excess) break;
        this.windows.delete(k);
      }
    }
    this.nextSweep = t + this.rule.windowSeconds * 1000;
  }
}

// ---- configuration -------------------------------------------------------------------------------

/** "10" (per 60 s) or "10/60" (count / window in seconds). */
const rule = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .transform((v) => (v === '' ? fallback : v))
    .pipe(z.string().regex(/^\d{1,7}(\/\d{1,6})?$/, 'use COUNT or COUNT/SECONDS, e.g. 10/60'))
    .transform((v): Rule => {
      const [limit, seconds] = v.split('/');
      return { limit: Number(limit), windowSeconds: seconds === undefined ? 60 : Number(seconds) };
    })
    .refine((r) => r.limit >= 1 && r.windowSeconds >= 1, 'COUNT and SECONDS must be at least 1');

const flag = z
  .enum(['0', '1', 'true', 'false', ''])
  .optional()
  .transform((v) => v === '1' || v === 'true');

export const RateLimitEnv = z.object({
  RATE_LIMIT_SIGNIN: rule('10/60'),
  RATE_LIMIT_SIGNIN_IP: rule('30/60'),
  RATE_LIMIT_COMMANDS: rule('120/60'),
  RATE_LIMIT_DISABLED: flag,
  // How many proxies in front of the app append to X-Forwarded-For (0: none, use the socket address).
  TRUST_PROXY: z
    .enum(['', '0', '1', '2', '3', '4', '5', 'true', 'false'])
    .optional()
    .transform((v) => (v === 'true' ? 1 : v === undefined || v === '' || v === 'false' ? 0 : Number(v))),
});
export type RateLimitConfig = z.infer<typeof RateLimitEnv>;

export function readRateLimitEnv(env: Record<string, string | undefined> = process.env): RateLimitConfig {
  const parsed = RateLimitEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid rate limit configuration:\n${lines}`);
  }
  return parsed.data;
}

// ---- the app's limiters ----------------------------------------------------------------------------

export type Limiters = {
  config: RateLimitConfig;
  signInEmail: FixedWindowLimiter;
  signInIp: FixedWindowLimiter;
  commandsUser: FixedWindowLimiter;
  commandsIp: FixedWindowLimiter;
};

export function createLimiters(config: RateLimitConfig, now: () => number = Date.now): Limiters {
  return {
    config,
    signInEmail: new FixedWindowLimiter(config.RATE_LIMIT_SIGNIN, now),
    signInIp: new FixedWindowLimiter(config.RATE_LIMIT_SIGNIN_IP, now),
    commandsUser: new FixedWindowLimiter(config.RATE_LIMIT_COMMANDS, now),
    commandsIp: new FixedWindowLimiter(config.RATE_LIMIT_COMMANDS, now),
  };
}

// Route handlers, server actions and Auth.js's authorize() can end up in different bundles of one
// process; a global keeps one set of counters for all of them.
const KEY = Symbol.for('eventcart.rateLimiters');
type Global = { [KEY]?: Limiters };

export function limiters(): Limiters {
  const g = globalThis as Global;
  return (g[KEY] ??= createLimiters(readRateLimitEnv()));
}

/** Tests only: replace the process's limiters. */
export function setLimitersForTest(l: Limiters | undefined) {
  (globalThis as Global)[KEY] = l;
}

// ---- client address ------------------------------------------------------------------------------

/**
 * The client's address. With TRUST_PROXY=n the n-th entry from the right of X-Forwarded-For (each
 * trusted proxy appends the address it saw; entries further left are whatever the client sent).
 * Without it, proxy.ts drops any X-Forwarded-For the client sent, so Next fills the header with the
 * socket's remote address and that is what is read here.
 */
export function clientIp(headers: Headers, trustProxy = limiters().config.TRUST_PROXY): string {
  const hops = (headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (hops.length === 0) return 'unknown';
  if (trustProxy > 0) return hops[Math.max(0, hops.length - trustProxy)];
  return hops[hops.length - 1];
}

const normEmail = (email: string) => email.trim().toLowerCase();

export const tooManyMessage = (seconds: number) => `Too many attempts; try again in ${seconds} s.`;

export function rateLimited(retryAfterSeconds: number, limit?: string, ip?: string): AppError {
  if (limit) log.warn({ event: 'rate_limited', limit, ip, retryAfterSeconds }, 'rate limited');
  return new AppError(429, 'rate_limited', tooManyMessage(retryAfterSeconds), {
    headers: { 'Retry-After': String(retryAfterSeconds) },
    details: { retryAfterSeconds },
  });
}

/**
 * One sign-in attempt: counts against the address (every attempt) and the email (every attempt
 * until it succeeds: `signInSucceeded` gives the email's hit back, so only failures stay counted;
 * counting before the password check keeps a burst of parallel guesses inside the limit).
 * Returns the error to answer with, or null.
 */
export function takeSignInAttempt(email: string | null, ip: string, l: Limiters = limiters()): AppError | null {
  if (l.config.RATE_LIMIT_DISABLED) return null;
  const byIp = l.signInIp.consume(ip);
  if (!byIp.ok) return rateLimited(byIp.retryAfterSeconds, 'signin_ip', ip);
  if (email && email.trim()) {
    const byEmail = l.signInEmail.consume(normEmail(email));
    if (!byEmail.ok) return rateLimited(byEmail.retryAfterSeconds, 'signin_email', ip);
  }
  return null;
}

export function signInSucceeded(email: string, l: Limiters = limiters()): void {
  if (l.config.RATE_LIMIT_DISABLED) return;
  l.signInEmail.refund(normEmail(email));
}

/** One cart command by a signed-in user from an address; the error to answer with, or null. */
export function takeCommand(userId: string, ip: string, l: Limiters = limiters()): AppError | null {
  if (l.config.RATE_LIMIT_DISABLED) return null;
  const byUser = l.commandsUser.consume(userId);
  if (!byUser.ok) return rateLimited(byUser.retryAfterSeconds, 'commands_user', ip);
  const byIp = l.commandsIp.consume(ip);
  if (!byIp.ok) {
    l.commandsUser.refund(userId);
    return rateLimited(byIp.retryAfterSeconds, 'commands_ip', ip);
  }
  return null;
}

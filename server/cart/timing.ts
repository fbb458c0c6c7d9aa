import { z } from 'zod';

// How long reservations hold and carts live, and how often the sweeper looks (docs/reservations.md).

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "900", "900s", "15m", "24h", "1d" -> seconds. */
const duration = (fallback: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      const m = /^(\d+)\s*([smhd]?)$/.exec(v === undefined || v === '' ? fallback : v);
      if (!m) {
        ctx.addIssue({ code: 'custom', message: 'a duration like 900, 90s, 15m, 24h or 1d' });
        return z.NEVER;
      }
      return Number(m[1]) * UNITS[m[2] || 's'];
    })
    .pipe(z.number().int().min(min).max(max));

const TimingEnv = z.object({
  /** How long adding to a cart holds the units (default 15 minutes). */
  RESERVATION_TTL: duration('15m', 1, 7 * 86_400),
  /** How long a cart may stay untouched before the sweeper expires it (default 24 hours). */
  CART_TTL: duration('24h', 1, 365 * 86_400),
  /** How often the sweeper runs (default 30 s). 0 turns it off on this server. */
  SWEEP_INTERVAL: duration('30s', 0, 86_400),
});

export type Timing = z.infer<typeof TimingEnv>;

let cached: { key: string; timing: Timing } | undefined;

/** Every command asks (for its reservation's expiry): parsed again only when the three variables change. */
export function readTiming(env: NodeJS.ProcessEnv = process.env): Timing {
  const key = [env.RESERVATION_TTL, env.CART_TTL, env.SWEEP_INTERVAL].join('\u0000');
  if (cached?.key === key) return cached.timing;
  const timing = parseTiming(env);
  cached = { key, timing };
  return timing;
}

function parseTiming(env: NodeJS.ProcessEnv): Timing {
  const parsed = TimingEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid reservation/expiry configuration:\n${lines}`);
  }
  return parsed.data;
}

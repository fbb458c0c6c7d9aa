import { describe, expect, it } from 'vitest';
import {
  clientIp,
  createLimiters,
  FixedWindowLimiter,
  readRateLimitEnv,
  takeCommand,
  takeSignInAttempt,
  signInSucceeded,
} from './rate-limit';

const clock = (start = 1_000_000) => {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('FixedWindowLimiter', () => {
  it('allows `limit` hits per window, then refuses with the seconds left, then allows again', () => {
    const c = clock();
    const l = new FixedWindowLimiter({ limit: 3, windowSeconds: 60 }, c.now);
    expect(l.consume('a')).toEqual({ ok: true, remaining: 2 });
    expect(l.consume('a')).toEqual({ ok: true, remaining: 1 });
    expect(l.consume('a')).toEqual({ ok: true, remaining: 0 });
    expect(l.consume('a')).toEqual({ ok: false, retryAfterSeconds: 60 });
    c.advance(45_500);
    expect(l.consume('a')).toEqual({ ok: false, retryAfterSeconds: 15 }); // 14.5 s rounds up
    c.advance(14_499);
    expect(l.consume('a')).toEqual({ ok: false, retryAfterSeconds: 1 });
    c.advance(1);
    expect(l.consume('a')).toEqual({ ok: true, remaining: 2 });
  });

  it('counts keys separately', () => {
    const l = new FixedWindowLimiter({ limit: 1, windowSeconds: 10 }, clock().now);
    expect(l.consume('a').ok).toBe(true);
    expect(l.consume('a').ok).toBe(false);
    expect(l.consume('b').ok).toBe(true);
  });

  it('a refused hit is not counted, so waiting out the window is enough', () => {
    const c = clock();
    const l = new FixedWindowLimiter({ limit: 2, windowSeconds: 10 }, c.now);
    l.consume('a');
    l.consume('a');
    for (let i = 0; i < 50; i++) expect(l.consume('a').ok).toBe(false);
    c.advance(10_000);
    expect(l.consume('a')).toEqual({ ok: true, remaining: 1 });
  });

  it('refund gives a hit back within the window, never below zero', () => {
    const l = new FixedWindowLimiter({ limit: 1, windowSeconds: 10 }, clock().now);
    l.consume('a');
    l.refund('a');
    l.refund('a');
    expect(l.consume('a')).toEqual({ ok: true, remaining: 0 });
    expect(l.consume('a').ok).toBe(false);
  });

  it('drops expired windows and stays bounded under a flood of distinct keys', () => {
    const c = clock();
    const l = new FixedWindowLimiter({ limit: 5, windowSeconds: 1 }, c.now, 1000);
    for (let i = 0; i < 5000; i++) l.consume(`k${i}`);
    expect(l.size).toBeLessThanOrEqual(1000);
    c.advance(1000);
    l.consume('fresh');
    expect(l.size).toBe(1);
  });
});

describe('configuration', () => {
  it('has sane defaults', () => {
    const cfg = readRateLimitEnv({});
    expect(cfg.RATE_LIMIT_SIGNIN).toEqual({ limit: 10, windowSeconds: 60 });
    expect(cfg.RATE_LIMIT_SIGNIN_IP).toEqual({ limit: 30, windowSeconds: 60 });
    expect(cfg.RATE_LIMIT_COMMANDS).toEqual({ limit: 120, windowSeconds: 60 });
    expect(cfg.RATE_LIMIT_DISABLED).toBe(false);
    expect(cfg.TRUST_PROXY).toBe(0);
  });

  it('reads COUNT and COUNT/SECONDS, the flags and the proxy hop count', () => {
    const cfg = readRateLimitEnv({
      RATE_LIMIT_SIGNIN: '3',
      RATE_LIMIT_SIGNIN_IP: '5/10',
      RATE_LIMIT_COMMANDS: ' 1000/1 ',
      RATE_LIMIT_DISABLED: '1',
      TRUST_PROXY: '2',
    });
    expect(cfg.RATE_LIMIT_SIGNIN).toEqual({ limit: 3, windowSeconds: 60 });
    expect(cfg.RATE_LIMIT_SIGNIN_IP).toEqual({ limit: 5, windowSeconds: 10 });
    expect(cfg.RATE_LIMIT_COMMANDS).toEqual({ limit: 1000, windowSeconds: 1 });
    expect(cfg.RATE_LIMIT_DISABLED).toBe(true);
    expect(cfg.TRUST_PROXY).toBe(2);
    expect(readRateLimitEnv({ TRUST_PROXY: 'true', RATE_LIMIT_SIGNIN: '' }).TRUST_PROXY).toBe(1);
    expect(readRateLimitEnv({ RATE_LIMIT_SIGNIN: '' }).RATE_LIMIT_SIGNIN.limit).toBe(10);
  });

  it.each([
    ['RATE_LIMIT_SIGNIN', 'ten'],
    ['RATE_LIMIT_SIGNIN', '0'],
    ['RATE_LIMIT_COMMANDS', '10/0'],
    ['RATE_LIMIT_COMMANDS', '-5'],
    ['RATE_LIMIT_SIGNIN_IP', '5/60/2'],
    ['RATE_LIMIT_DISABLED', 'yes'],
    ['TRUST_PROXY', 'all'],
  ])('refuses %s=%s with a message naming the variable', (name, value) => {
    expect(() => readRateLimitEnv({ [name]: value })).toThrow(new RegExp(`Invalid rate limit configuration:[\\s\\S]*${name}`));
  });
});

describe('clientIp', () => {
  const h = (xff?: string) => new Headers(xff === undefined ? {} : { 'x-forwarded-for': xff });
  it('without a trusted proxy: the address Next filled in from the socket', () => {
    expect(clientIp(h('127.0.0.1'), 0)).toBe('127.0.0.1');
    expect(clientIp(h(), 0)).toBe('unknown');
  });
  it('with TRUST_PROXY=n: the n-th address from the right, never what the client put on the left', () => {
    expect(clientIp(h('6.6.6.6, 203.0.113.7'), 1)).toBe('203.0.113.7');
    expect(clientIp(h('6.6.6.6, 203.0.113.7, 10.0.0.2'), 2)).toBe('203.0.113.7');
    expect(clientIp(h('203.0.113.7'), 3)).toBe('203.0.113.7');
  });
});

describe('sign-in and command limits', () => {
  const setup = (env: Record<string, string>) => {
    const c = clock();
    return { c, l: createLimiters(readRateLimitEnv(env), c.now) };
  };

  it('failed sign-ins per email (case and spaces ignored), successes given back', () => {
    const { l } = setup({ RATE_LIMIT_SIGNIN: '2/60', RATE_LIMIT_SIGNIN_IP: '100' });
    expect(takeSignInAttempt('alice@example.com', '1.1.1.1', l)).toBeNull();
    signInSucceeded(' Alice@Example.com', l);
    expect(takeSignInAttempt('alice@example.com', '1.1.1.1', l)).toBeNull();
    expect(takeSignInAttempt('ALICE@example.com ', '2.2.2.2', l)).toBeNull();
    const err = takeSignInAttempt('alice@example.com', '3.3.3.3', l);
    expect(err?.status).toBe(429);
    expect(err?.code).toBe('rate_limited');
    expect(err?.extra.headers).toEqual({ 'Retry-After': '60' });
    expect(err?.message).toBe('Too many attempts; try again in 60 s.');
    // Another account from the same addresses is not affected.
    expect(takeSignInAttempt('bob@example.com', '3.3.3.3', l)).toBeNull();
  });

  it('sign-in attempts per address, whatever the email', () => {
    const { c, l } = setup({ RATE_LIMIT_SIGNIN: '100', RATE_LIMIT_SIGNIN_IP: '3/10' });
    for (let i = 0; i < 3; i++) expect(takeSignInAttempt(`u${i}@example.com`, '9.9.9.9', l)).toBeNull();
    expect(takeSignInAttempt('new@example.com', '9.9.9.9', l)?.extra.headers?.['Retry-After']).toBe('10');
    expect(takeSignInAttempt('new@example.com', '8.8.8.8', l)).toBeNull();
    c.advance(10_000);
    expect(takeSignInAttempt('new@example.com', '9.9.9.9', l)).toBeNull();
  });

  it('commands per user and per address; a refusal by address does not use up the user', () => {
    const { l } = setup({ RATE_LIMIT_COMMANDS: '2/60' });
    expect(takeCommand('user-alice', '1.1.1.1', l)).toBeNull();
    expect(takeCommand('user-alice', '2.2.2.2', l)).toBeNull();
    expect(takeCommand('user-alice', '3.3.3.3', l)?.status).toBe(429); // per user
    expect(takeCommand('user-bob', '1.1.1.1', l)).toBeNull();
    expect(takeCommand('user-carol', '1.1.1.1', l)?.status).toBe(429); // per address
    expect(takeCommand('user-carol', '4.4.4.4', l)).toBeNull(); // carol was given her hit back
    expect(takeCommand('user-carol', '4.4.4.4', l)).toBeNull();
    expect(takeCommand('user-carol', '4.4.4.4', l)?.status).toBe(429);
  });

  it('RATE_LIMIT_DISABLED=1 lets everything through', () => {
    const { l } = setup({ RATE_LIMIT_DISABLED: '1', RATE_LIMIT_SIGNIN: '1', RATE_LIMIT_SIGNIN_IP: '1', RATE_LIMIT_COMMANDS: '1' });
    for (let i = 0; i < 20; i++) {
      expect(takeSignInAttempt('a@example.com', '1.1.1.1', l)).toBeNull();
      expect(takeCommand('u', '1.1.1.1', l)).toBeNull();
    }
  });
});

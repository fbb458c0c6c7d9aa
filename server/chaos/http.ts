// A tiny HTTP client for the chaos run: fetch on 127.0.0.1 with a cookie jar, and the Auth.js
// credentials sign-in (the same steps as e2e/fixtures/api.ts, without Playwright).

export class CookieJar {
  private cookies = new Map<string, string>();

  take(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export type HttpResult = { status: number; body: unknown; headers: Headers };

export class Client {
  readonly jar = new CookieJar();
  constructor(
    readonly base: string,
    private readonly timeoutMs = 20_000,
  ) {}

  async request(method: string, path: string, opts: { json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<HttpResult> {
    const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
    const cookie = this.jar.header();
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    }
    const res = await fetch(this.base + path, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
    this.jar.take(res);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  /** Auth.js credentials sign-in; the session cookie stays in the jar (JWT: it survives server restarts). */
  async signIn(email: string, password: string): Promise<void> {
    const csrf = await this.request('GET', '/api/auth/csrf');
    const csrfToken = (csrf.body as { csrfToken?: string } | null)?.csrfToken;
    if (csrf.status !== 200 || !csrfToken) throw new Error(`GET /api/auth/csrf answered ${csrf.status}`);
    const res = await this.request('POST', '/api/auth/callback/credentials', { form: { csrfToken, email, password } });
    if (res.status !== 302) throw new Error(`sign-in as ${email} answered ${res.status}`);
    const me = await this.request('GET', '/api/carts');
    if (me.status !== 200) throw new Error(`sign-in as ${email} did not stick (${me.status})`);
  }
}

/** A short label for a failed request: the error code of a refused connection, a reset, a timeout. */
export function networkErrorLabel(e: unknown): string {
  const err = e as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  if (err?.name === 'TimeoutError' || err?.cause?.name === 'TimeoutError') return 'timeout';
  return err?.cause?.code ?? err?.code ?? err?.name ?? 'error';
}

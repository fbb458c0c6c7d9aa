import { NextResponse, type NextRequest } from 'next/server';
import { API_POLICY, HSTS, REQUEST_ID } from './server/http/api-headers';

// Runs before every page and server action, and before the API requests that need it (see the matcher
// below): stamps the request id, sets the Content-Security-Policy with a fresh nonce for pages, drops
// a client-written X-Forwarded-For, and answers a path with broken percent-encoding as the API answers
// bad input instead of letting the framework fail on it. Headers that never vary (nosniff, framing,
// referrer, permissions) come from next.config.mjs so static assets get them too.

const trustedProxyHops = () => {
  const v = process.env.TRUST_PROXY ?? '';
  return v === 'true' ? 1 : /^[1-5]$/.test(v) ? Number(v) : 0;
};

/**
 * The page policy: scripts only with this response's nonce (and what they load, 'strict-dynamic');
 * no inline script without it, no plugins, no framing, forms and <base> only to this origin.
 * Styles allow inline: React writes style attributes (progress bars) and a nonce cannot cover those.
 */
function contentSecurityPolicy(nonce: string, opts: { https: boolean; dev: boolean }): string {
  return [
    `default-src 'self'`,
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${opts.dev ? ` 'unsafe-eval'` : ''}`,
    `style-src 'self' 'unsafe-inline'`,
    `img-src 'self' blob: data:`,
    `font-src 'self'`,
    `connect-src 'self'`,
    `object-src 'none'`,
    `base-uri 'self'`,
    `form-action 'self'`,
    `frame-ancestors 'none'`,
    ...(opts.https ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}

export function proxy(req: NextRequest) {
  const given = req.headers.get('x-request-id');
  const requestId = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
  const path = req.nextUrl.pathname;
  const isApi = path === '/api' || path.startsWith('/api/');
  const https = req.nextUrl.protocol === 'https:';

  const stamp = (res: NextResponse, csp: string) => {
    res.headers.set('x-request-id', requestId);
    res.headers.set('Content-Security-Policy', csp);
    // Only meaningful (and only honoured by browsers) over https.
    if (https) res.headers.set('Strict-Transport-Security', HSTS);
    return res;
  };

  try {
    decodeURIComponent(path);
  } catch {
    return stamp(
      NextResponse.json(
        { error: { code: 'malformed_path', message: 'The path is not valid percent-encoding.' } },
        { status: 400, headers: { 'cache-control': 'no-store' } },
      ),
      API_POLICY,
    );
  }

  const headers = new Headers(req.headers);
  headers.set('x-request-id', requestId);
  // Without a trusted proxy in front, X-Forwarded-For is whatever the client wrote: drop it, and Next
  // fills it with the socket's address, which the rate limits then count by (server/http/rate-limit.ts).
  if (trustedProxyHops() === 0) headers.delete('x-forwarded-for');
  // Layouts cannot see the path; the admin layout needs it to send a signed-out visitor back here.
  if (path.startsWith('/admin')) headers.set('x-eventcart-path', path + req.nextUrl.search);
  else headers.delete('x-eventcart-path');

  if (isApi) return stamp(NextResponse.next({ request: { headers } }), API_POLICY);

  // Next reads the nonce from the request's Content-Security-Policy and puts it on its own scripts;
  // pages are rendered per request (the root layout awaits connection()) so each gets a fresh one.
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
  const csp = contentSecurityPolicy(nonce, { https, dev: process.env.NODE_ENV === 'development' });
  headers.set('x-nonce', nonce);
  headers.set('Content-Security-Policy', csp);
  return stamp(NextResponse.next({ request: { headers } }), csp);
}

export const config = {
  matcher: [
    // Everything but build assets, images and the API, so every page request has an id and a nonce
    // (server actions post to pages).
    '/((?!api/|_next/static|_next/image|favicon\\.ico|.*\\.(?:png|jpg|jpeg|gif|svg|webp|ico|woff2?)$).*)',
    // The API only when there is work here its route layer cannot do: an X-Forwarded-For to drop (or
    // keep, behind a trusted proxy), or percent-encoding to check before Next decodes the path. Any other
    // API request skips the proxy, which costs Next a middleware round (a Request, its body made
    // cloneable, header overrides) per call; route() (server/http/respond.ts) and the Auth.js route stamp
    // the request id, the API policy and HSTS themselves (server/http/api-headers.ts), and Next fills
    // X-Forwarded-For with the socket's address when the client sent none.
    { source: '/api/:path*', has: [{ type: 'header', key: 'x-forwarded-for' }] },
    '/api/(.*%.*)',
  ],
};

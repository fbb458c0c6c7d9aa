// The headers every JSON API answer carries beside the static ones from next.config.mjs. proxy.ts sets
// them on the requests it sees; route() and the Auth.js route set them as well, because most API
// requests skip the proxy (see its matcher). Imported by proxy.ts: nothing server-only here.

/** A caller's X-Request-Id is kept when it looks like one; else a fresh uuid is made. */
export const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** JSON answers never render: nothing may load from them and nobody may frame them. */
export const API_POLICY = `default-src 'none'; frame-ancestors 'none'`;

/** Only meaningful (and only honoured by browsers) over https. */
export const HSTS = 'max-age=63072000; includeSubDomains';

export function stampApiHeaders(headers: Headers, requestId: string, https: boolean): void {
  headers.set('x-request-id', requestId);
  headers.set('Content-Security-Policy', API_POLICY);
  if (https) headers.set('Strict-Transport-Security', HSTS);
}

/** The same on a response whose headers may be immutable (Response.redirect, fetch results): copied then. */
export function withApiHeaders(res: Response, requestId: string, https: boolean): Response {
  try {
    stampApiHeaders(res.headers, requestId, https);
    return res;
  } catch {
    const copy = new Response(res.body, res);
    stampApiHeaders(copy.headers, requestId, https);
    return copy;
  }
}

// Headers every answer carries, static assets included. The Content-Security-Policy (a fresh nonce
// per page), Strict-Transport-Security (https only) and x-request-id are set in proxy.ts.
const securityHeaders = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
  {
    key: 'Permissions-Policy',
    value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()',
  },
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  // PGlite ships a wasm file it loads from its own folder; bundling it breaks that path.
  serverExternalPackages: ['@electric-sql/pglite', 'postgres', 'pino'],
  poweredByHeader: false,
  // CI runs `tsc --noEmit` over the whole project just before it builds (.ci/run); checking the same
  // files again inside next build would only cost time there. Every other build checks types.
  typescript: { ignoreBuildErrors: process.env.EVENTCART_TYPECHECKED === '1' },
  reactStrictMode: true,
  async headers() {
    return [
      { source: '/:path*', headers: securityHeaders },
      // The API's policy (server/http/api-headers.ts) also on answers Next makes itself (OPTIONS), which
      // neither route() nor proxy.ts (most API requests skip it) see.
      { source: '/api/:path*', headers: [{ key: 'Content-Security-Policy', value: "default-src 'none'; frame-ancestors 'none'" }] },
    ];
  },
};

export default nextConfig;

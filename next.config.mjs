/** @type {import('next').NextConfig} */
const nextConfig = {
  // PGlite ships a wasm file it loads from its own folder; bundling it breaks that path.
  serverExternalPackages: ['@electric-sql/pglite', 'postgres', 'pino'],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;

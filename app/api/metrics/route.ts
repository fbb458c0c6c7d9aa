import { timingSafeEqual } from 'node:crypto';
import { AppError } from '@/server/http/errors';
import { methodNotAllowed, route } from '@/server/http/respond';
import { CONTENT_TYPE } from '@/server/metrics/registry';
import { renderMetrics } from '@/server/metrics/scrape';

export const dynamic = 'force-dynamic';

function authorized(header: string | null, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim() ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/**
 * Prometheus text exposition of this app server's counters, plus subscriber lag and process figures
 * measured at scrape time. With METRICS_TOKEN set, a scraper must send `Authorization: Bearer <token>`.
 */
export const GET = route(async (req) => {
  const token = process.env.METRICS_TOKEN;
  if (token && !authorized(req.headers.get('authorization'), token)) {
    throw new AppError(401, 'unauthorized', 'Send the metrics token as Authorization: Bearer <token>.', {
      headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' },
    });
  }
  return new Response(await renderMetrics(), { headers: { 'content-type': CONTENT_TYPE, 'cache-control': 'no-store' } });
});

const notAllowed = methodNotAllowed('GET');
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };

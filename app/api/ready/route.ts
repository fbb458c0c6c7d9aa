import { getDbHandle } from '@/db/client';
import { AppError, RETRY_AFTER_SECONDS } from '@/server/http/errors';
import { json, methodNotAllowed, route } from '@/server/http/respond';
import { checkReadiness } from '@/server/ops/readiness';

export const dynamic = 'force-dynamic';

/** Readiness: 200 when the database answers and has every migration; else 503 naming what is missing. */
export const GET = route(async () => {
  const handle = getDbHandle();
  const r = await checkReadiness(handle.db);
  if (!r.ready) {
    throw new AppError(503, r.code, r.message, {
      ...(r.missing ? { details: { missing: r.missing } } : {}),
      headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    });
  }
  return json({ status: 'ready', database: handle.kind, migrations: r.migrations });
});

const notAllowed = methodNotAllowed('GET');
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };

import { requireAdmin } from '@/server/auth';
import { json, route } from '@/server/http/respond';
import { projectionStatus } from '@/server/projections/jobs';

export const dynamic = 'force-dynamic';

/** The verify or rebuild job of this server process (with progress) and whether a rebuild runs anywhere. */
export const GET = route(async () => {
  await requireAdmin();
  return json(await projectionStatus());
});

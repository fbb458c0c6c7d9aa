import { requireAdmin } from '@/server/auth';
import { json, route } from '@/server/http/respond';
import { startJob } from '@/server/projections/jobs';

export const dynamic = 'force-dynamic';

/** Starts a rebuild in this server process: 202 with the job; poll GET /api/admin/projections/status. */
export const POST = route(async () => {
  const user = await requireAdmin();
  const job = await startJob('rebuild', user);
  return json({ job }, { status: 202, headers: { Location: '/api/admin/projections/status' } });
});

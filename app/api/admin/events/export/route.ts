import { requireAdmin } from '@/server/auth';
import { exportContentType, exportEvents, exportFileName } from '@/server/audit/export';
import { readQuery, route } from '@/server/http/respond';
import { AuditExportQuery } from '@/server/http/schemas';

export const dynamic = 'force-dynamic';

// Streamed: rows are read in batches as the client downloads them, and no longer once it disconnects.
export const GET = route(async (req) => {
  const admin = await requireAdmin();
  const { format, ...filters } = readQuery(req, AuditExportQuery);
  const body = exportEvents(admin, filters, { format, signal: req.signal });
  return new Response(body, {
    headers: {
      'content-type': exportContentType[format],
      'content-disposition': `attachment; filename="${exportFileName(format)}"`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    },
  });
});

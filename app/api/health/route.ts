import { json, methodNotAllowed, route } from '@/server/http/respond';

export const dynamic = 'force-dynamic';

/**
 * Liveness: the process is up and serving. It does not touch the database, so an orchestrator never
 * restarts healthy servers because the database is away (that is what /api/ready is for).
 */
export const GET = route(async () => json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) }));

const notAllowed = methodNotAllowed('GET');
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };

import { buildOpenApi } from '@/server/http/openapi';
import { json, methodNotAllowed, route } from '@/server/http/respond';

export const GET = route(async () => json(buildOpenApi(), { headers: { 'cache-control': 'public, max-age=60' } }));

const notAllowed = methodNotAllowed('GET');
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };

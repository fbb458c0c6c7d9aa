import { buildOpenApi } from '@/server/http/openapi';
import { json, route } from '@/server/http/respond';

export const GET = route(async () => json(buildOpenApi(), { headers: { 'cache-control': 'public, max-age=60' } }));

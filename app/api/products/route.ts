import { listProducts } from '@/server/catalog/queries';
import { json, route } from '@/server/http/respond';

export const dynamic = 'force-dynamic';

export const GET = route(async () => json({ products: await listProducts() }));

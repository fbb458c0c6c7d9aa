import { listProducts } from '@/server/catalog/queries';
import { json, methodNotAllowed, route } from '@/server/http/respond';

export const dynamic = 'force-dynamic';

export const GET = route(async () => json({ products: await listProducts() }));

const notAllowed = methodNotAllowed('GET');
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };

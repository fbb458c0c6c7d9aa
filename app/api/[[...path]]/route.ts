import { AppError } from '@/server/http/errors';
import { route } from '@/server/http/respond';

// Unknown API paths answer JSON, like every other API error, instead of the HTML not-found page.
const notFound = route<{ path?: string[] }>(async (req) => {
  throw new AppError(404, 'not_found', `No API route ${req.method} ${req.nextUrl.pathname}. See /api/openapi.json.`);
});

export { notFound as GET, notFound as POST, notFound as PUT, notFound as PATCH, notFound as DELETE };

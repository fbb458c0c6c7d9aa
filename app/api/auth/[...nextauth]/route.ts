import type { NextRequest } from 'next/server';
import { handlers } from '@/server/auth';
import { clientIp, takeSignInAttempt } from '@/server/http/rate-limit';
import { errorResponse, requestId } from '@/server/http/respond';

export const { GET } = handlers;

/**
 * API clients sign in with POST /api/auth/callback/credentials (form: csrfToken, email, password).
 * Each attempt counts against the client's address and the email before Auth.js checks the password:
 * over the limit, 429 with Retry-After and the JSON error, like the rest of the API.
 */
export async function POST(req: NextRequest): Promise<Response> {
  if (req.nextUrl.pathname.endsWith('/callback/credentials')) {
    const form = await req
      .clone()
      .formData()
      .catch(() => null);
    const email = form?.get('email');
    const limited = takeSignInAttempt(typeof email === 'string' ? email : null, clientIp(req.headers));
    if (limited) return errorResponse(limited, requestId(req));
  }
  return handlers.POST(req);
}

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
    const email = await emailOf(req);
    const limited = takeSignInAttempt(email, clientIp(req.headers));
    if (limited) return errorResponse(limited, requestId(req));
  }
  return handlers.POST(req);
}

/** The email as Auth.js will read it: from a JSON or a form-urlencoded body (the same rules as @auth/core). */
async function emailOf(req: NextRequest): Promise<string | null> {
  const type = req.headers.get('content-type') ?? '';
  try {
    const body: unknown = type.includes('application/json')
      ? await req.clone().json()
      : type.includes('application/x-www-form-urlencoded')
        ? Object.fromEntries(new URLSearchParams(await req.clone().text()))
        : null;
    const email = (body as { email?: unknown } | null)?.email;
    return typeof email === 'string' ? email : null;
  } catch {
    return null; // malformed: Auth.js refuses it too, and the address still counted
  }
}

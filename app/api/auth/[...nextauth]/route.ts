import type { NextRequest } from 'next/server';
import { handlers } from '@/server/auth';
import { withApiHeaders } from '@/server/http/api-headers';
import { clientIp, takeSignInAttempt } from '@/server/http/rate-limit';
import { errorResponse, requestId } from '@/server/http/respond';

// Most API requests skip proxy.ts (see its matcher): Auth.js's answers get the API's request id,
// policy and HSTS here, as route() gives the others.
const stamped = (req: NextRequest, reqId: string, res: Response) => withApiHeaders(res, reqId, req.nextUrl.protocol === 'https:');

export async function GET(req: NextRequest): Promise<Response> {
  return stamped(req, requestId(req), await handlers.GET(req));
}

/**
 * API clients sign in with POST /api/auth/callback/credentials (form: csrfToken, email, password).
 * Each attempt counts against the client's address and the email before Auth.js checks the password:
 * over the limit, 429 with Retry-After and the JSON error, like the rest of the API.
 */
export async function POST(req: NextRequest): Promise<Response> {
  const reqId = requestId(req);
  if (req.nextUrl.pathname.endsWith('/callback/credentials')) {
    const email = await emailOf(req);
    const limited = takeSignInAttempt(email, clientIp(req.headers));
    if (limited) return stamped(req, reqId, errorResponse(limited, reqId));
  }
  return stamped(req, reqId, await handlers.POST(req));
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

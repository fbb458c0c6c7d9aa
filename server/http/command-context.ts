import 'server-only';
import type { NextRequest } from 'next/server';
import type { CommandContext, HandledCommand } from '../cart/handler';
import { requireUser } from '../auth';
import { clientIp, takeCommand } from './rate-limit';
import { json, readIdempotencyKey, readIfMatch } from './respond';

/**
 * The signed-in actor plus If-Match, Idempotency-Key and the request id as correlation id.
 * Every command counts against the user's and the address's rate limits (429 with Retry-After).
 */
export async function commandContext(req: NextRequest, requestId: string): Promise<CommandContext> {
  const user = await requireUser();
  const limited = takeCommand(user.userId, clientIp(req.headers));
  if (limited) throw limited;
  const ifMatch = readIfMatch(req);
  const idempotencyKey = readIdempotencyKey(req);
  return {
    actor: { userId: user.userId, role: user.role },
    expectedVersion: ifMatch,
    idempotencyKey,
    correlationId: requestId,
  };
}

export function commandResponse(result: HandledCommand, status = 200) {
  const { replayed, ...body } = result;
  return json(body, {
    status,
    headers: { ETag: `"${body.version}"`, ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}) },
  });
}

import 'server-only';
import { headers } from 'next/headers';
import { currentRequestId, requestIdFrom, runWithRequestContext } from './request-context';

/** The request id of the server action being served: the proxy's (or the caller's) X-Request-Id, else a new one. */
async function incomingRequestId(): Promise<string> {
  try {
    return requestIdFrom((await headers()).get('x-request-id'));
  } catch {
    // Called outside a Next request (unit tests, scripts): there is no header to read.
    return requestIdFrom(undefined);
  }
}

/**
 * Runs a server action's body inside a request context, like `route()` does for route handlers: its log
 * lines carry the request id and its commands use it as the events' correlation id. Nested calls keep
 * the outer id.
 */
export async function inAction<T>(fn: () => Promise<T>): Promise<T> {
  const existing = currentRequestId();
  if (existing) return fn();
  return runWithRequestContext({ requestId: await incomingRequestId() }, fn);
}

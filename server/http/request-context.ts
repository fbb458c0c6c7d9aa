import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * What every log line and every event written while serving one request should know about it. Entered
 * by `route()` (API) and `inAction()` (server actions); read by the logger's mixin and by command
 * contexts (the request id is the events' correlation id).
 */
export type RequestContext = { requestId: string };

// Next may load a module twice (route and action bundles); one store per process keeps them consistent.
const globalForCtx = globalThis as unknown as { __eventcartRequestContext?: AsyncLocalStorage<RequestContext> };
const storage = (globalForCtx.__eventcartRequestContext ??= new AsyncLocalStorage<RequestContext>());

/** A well-formed incoming id is kept (so a caller can follow its request through our logs); else a new uuid. */
export function requestIdFrom(given: string | null | undefined): string {
  return given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

export function runWithRequestContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

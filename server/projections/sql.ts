// Raw query results differ by driver: postgres.js hands back an array of rows, PGlite `{ rows }`.
export function rowsOf<T = Record<string, unknown>>(res: unknown): T[] {
  if (Array.isArray(res)) return res as T[];
  return ((res as { rows?: T[] }).rows ?? []) as T[];
}

/** Postgres error code of a driver error (postgres.js puts it on the error, drizzle may wrap it in `cause`). */
export function pgCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = err?.code ?? err?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Lets the event loop run between batches. PGlite executes queries synchronously in WebAssembly and
 * settles its promises as microtasks, so a long chain of queries would otherwise starve every other
 * request of the server (and the status polls that show the progress) until the job ends.
 */
export const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

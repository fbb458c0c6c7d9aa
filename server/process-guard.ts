import 'server-only';
import { log } from './log';

/**
 * postgres.js 3.4.9 (porsager/postgres#1133, #1208): when a backend dies mid-transaction, the driver's
 * own ROLLBACK is written from a setImmediate onto the socket it has just set to null, and
 * `nextWrite` throws "Cannot read properties of null (reading 'write')" outside any promise. The
 * transaction itself is rejected properly (CONNECTION_CLOSED -> 503), so this throw carries no
 * information and nothing is left half-done; it must not take the server down.
 */
export function isKnownPostgresJsSocketBug(err: unknown): boolean {
  if (!(err instanceof TypeError)) return false;
  const stack = err.stack ?? '';
  return /reading 'write'/.test(err.message) && /nextWrite/.test(stack) && /postgres[\\/]/.test(stack);
}

const globalForGuard = globalThis as unknown as { __eventcartProcessGuard?: boolean };

/**
 * Keeps the process alive through that one known driver bug and nothing else: any other uncaught
 * exception is left to whoever else listens (Next's server logs it), or ends the process as Node would.
 */
export function installProcessGuard() {
  if (globalForGuard.__eventcartProcessGuard) return;
  globalForGuard.__eventcartProcessGuard = true;
  const onUncaught = (err: Error, origin: string) => {
    if (isKnownPostgresJsSocketBug(err)) {
      log.warn({ err: { message: err.message }, origin }, 'ignored known postgres.js error after a dropped connection (porsager/postgres#1208); the transaction was rolled back');
      return;
    }
    if (process.listenerCount('uncaughtException') <= 1) {
      log.fatal({ err, origin }, 'uncaught exception');
      process.exit(1);
    }
  };
  process.on('uncaughtException', onUncaught);
}

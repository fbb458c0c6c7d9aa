import 'server-only';
import pino, { type DestinationStream } from 'pino';
import { currentRequestId } from './http/request-context';

/**
 * JSON logs on stdout. Never log passwords, cookies or secrets: they are redacted here as a last guard.
 * Every line written while serving a request carries its requestId (from the request context), so one
 * grep follows a request through the handler, the event store and its errors.
 */
export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}) {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
      base: { service: 'eventcart' },
      redact: { paths: ['password', '*.password', 'headers.cookie', 'headers.authorization', 'secret'], remove: true },
      mixin: () => {
        const requestId = currentRequestId();
        return requestId ? { requestId } : {};
      },
    },
    opts.destination,
  );
}

export const log = createLogger();

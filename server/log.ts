import 'server-only';
import pino from 'pino';

/** JSON logs on stdout. Never log passwords, cookies or secrets: they are redacted here as a last guard. */
export const log = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  base: { service: 'eventcart' },
  redact: { paths: ['password', '*.password', 'headers.cookie', 'headers.authorization', 'secret'], remove: true },
});

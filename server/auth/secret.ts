import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const secretFile = () => path.resolve(process.env.EVENTCART_DATA_DIR ?? '.data', 'auth-secret');

/**
 * AUTH_SECRET from the environment, else the one kept in the data folder, else a new one written there.
 * Several app servers behind one load balancer must share it: set AUTH_SECRET for them.
 */
export function resolveAuthSecret(log: (msg: string) => void = console.log): string {
  if (process.env.AUTH_SECRET) return process.env.AUTH_SECRET;
  const file = secretFile();
  try {
    const kept = fs.readFileSync(file, 'utf8').trim();
    if (kept) return kept;
  } catch {
    /* not there yet */
  }
  const secret = randomBytes(32).toString('base64url');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  log(`AUTH_SECRET is not set: generated one and kept it in ${file}`);
  return secret;
}

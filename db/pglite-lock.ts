import fs from 'node:fs';
import path from 'node:path';

/**
 * PGlite has one connection and no cross-process locking: two processes on one folder silently lose
 * writes. A lock file beside the folder records the owning pid; a second process fails loudly instead.
 * A child started by the owner (npm start spawns the Next server) inherits the lock through
 * EVENTCART_PGLITE_LOCK_OWNER.
 */
export class PgliteInUseError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `The embedded database in ${dir} is in use by another process (pid ${pid}). ` +
        `Only one process may own a PGlite folder: stop that process, or set PGLITE_DIR to another folder, ` +
        `or set DATABASE_URL to use a PostgreSQL server.`,
    );
    this.name = 'PgliteInUseError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process stays a zombie until its parent (or init, for an orphan) reaps it, and signal 0
  // still reaches a zombie: on Linux, read its state so a crashed owner's lock counts as stale at once.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc: trust the signal
  }
}

export function lockPath(dir: string) {
  return path.resolve(dir) + '.lock';
}

/** Takes the lock for this process; returns a release function. */
export function acquirePgliteLock(dir: string): () => void {
  const file = lockPath(dir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const inherited = Number(process.env.EVENTCART_PGLITE_LOCK_OWNER || 0);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      const release = () => {
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
      process.once('exit', release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(fs.readFileSync(file, 'utf8').trim() || 0);
      if (owner === process.pid || (inherited && owner === inherited && alive(owner))) return () => {};
      if (owner && alive(owner)) throw new PgliteInUseError(path.resolve(dir), owner);
      fs.rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new Error(`Could not take the lock ${file}`);
}

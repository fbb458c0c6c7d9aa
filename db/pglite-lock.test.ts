import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquirePgliteLock, lockPath, PgliteInUseError } from './pglite-lock';

const dirs: string[] = [];
const scratch = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'eventcart-lock-'));
  dirs.push(d);
  return path.join(d, 'pglite');
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('PGlite folder lock', () => {
  it('refuses a folder owned by another live process, naming it', async () => {
    const dir = scratch();
    const other = spawn('sleep', ['30']);
    try {
      fs.writeFileSync(lockPath(dir), String(other.pid));
      const err = (() => {
        try {
          acquirePgliteLock(dir);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(PgliteInUseError);
      expect((err as Error).message).toContain(`pid ${other.pid}`);
      expect((err as Error).message).toContain('Only one process may own a PGlite folder');
    } finally {
      other.kill();
    }
  });

  it('takes over a lock whose owner was killed but not yet reaped (a zombie)', async () => {
    const dir = scratch();
    // The forked child exits at once and its parent (perl, which never reaps on its own) sleeps: a zombie
    // for 30 s. perl is part of every Debian system (perl-base is essential).
    const parent = spawn('perl', ['-e', '$| = 1; my $pid = fork(); if (!$pid) { exit 0 } print "$pid\n"; sleep 30']);
    try {
      const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d) => resolve(String(d).trim()))));
      for (let i = 0; i < 50 && !fs.readFileSync(`/proc/${zombie}/stat`, 'utf8').includes(') Z'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(fs.readFileSync(`/proc/${zombie}/stat`, 'utf8')).toContain(') Z');
      expect(() => process.kill(zombie, 0)).not.toThrow(); // signal 0 alone would call it alive
      fs.writeFileSync(lockPath(dir), String(zombie));
      const release = acquirePgliteLock(dir);
      expect(fs.readFileSync(lockPath(dir), 'utf8')).toBe(String(process.pid));
      release();
    } finally {
      parent.kill();
    }
  });

  it('takes over a lock left by a process that is gone, and releases it', () => {
    const dir = scratch();
    fs.writeFileSync(lockPath(dir), '999999999');
    const release = acquirePgliteLock(dir);
    expect(fs.readFileSync(lockPath(dir), 'utf8')).toBe(String(process.pid));
    release();
    expect(fs.existsSync(lockPath(dir))).toBe(false);
  });

  it('lets its owner take it again', () => {
    const dir = scratch();
    acquirePgliteLock(dir);
    expect(() => acquirePgliteLock(dir)).not.toThrow();
  });
});

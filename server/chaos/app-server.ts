// The app server under test: `tsx --conditions=react-server server/cli/start.ts` in a process group
// of its own, so SIGKILL takes the whole tree (start.ts and the Next server it spawns) at once, the way
// a crash or an OOM kill would.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class AppServer {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  starts = 0;

  constructor(
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
  ) {}

  get base() {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid() {
    return this.child?.pid;
  }

  start() {
    const out = fs.openSync(this.logFile, 'a');
    fs.writeSync(out, `\n----- start #${++this.starts} at ${new Date().toISOString()}\n`);
    const child = spawn('node_modules/.bin/tsx', ['--conditions=react-server', 'server/cli/start.ts'], {
      env: this.env,
      stdio: ['ignore', out, out],
      detached: true, // its own process group: see kill()
    });
    fs.closeSync(out);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /**
   * GET /api/health (the process is up) or /api/ready (and its database answers) until it answers 200;
   * throws after `timeoutMs`. Returns how long it took.
   */
  async waitHealthy(timeoutMs = 120_000, probe: 'health' | 'ready' = 'health'): Promise<number> {
    const started = Date.now();
    for (;;) {
      try {
        const res = await fetch(`${this.base}/api/${probe}`, { signal: AbortSignal.timeout(5_000) });
        await res.text();
        if (res.status === 200) return Date.now() - started;
      } catch {
        /* not up yet */
      }
      if (this.child && this.child.exitCode !== null) throw new Error(`the app server exited (code ${this.child.exitCode}) before it was healthy; see ${this.logFile}`);
      if (Date.now() - started > timeoutMs) throw new Error(`the app server was not healthy within ${timeoutMs / 1000} s; see ${this.logFile}`);
      await sleep(150);
    }
  }

  /** Sends `signal` to the whole process group and waits until it is gone and the port is free. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
    const done = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await this.exited;
    }
    // The group's other members (the node process tsx runs start.ts in, which owns the PGlite lock, and
    // the Next server) die with it but are reaped on their own time: wait until the whole group is gone
    // and nothing listens any more, or a restart can find the lock's owner still there.
    for (let i = 0; i < 100 && groupAlive(child.pid); i++) await sleep(100);
    for (let i = 0; i < 100 && (await listening(this.port)); i++) await sleep(100);
    this.child = null;
  }

  /** Graceful stop (SIGTERM, then SIGKILL after the grace period). */
  stop() {
    return this.kill('SIGTERM');
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

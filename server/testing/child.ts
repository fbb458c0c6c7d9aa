import { spawn } from 'node:child_process';

/**
 * Runs `script` (a .ts file under server/testing/) in a process of its own until a line of its stdout
 * matches `pattern`, then SIGKILLs it and waits for it to be gone. Returns the matching line. Node
 * itself is spawned (not the tsx wrapper, which would leave its node child alive after SIGKILL).
 */
export async function killChildOnLine(script: string, env: Record<string, string>, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const child = spawn(process.execPath, ['--conditions=react-server', '--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script} said nothing matching ${pattern} in ${timeoutMs / 1000} s: ${err}`)), timeoutMs);
      child.stdout.on('data', (d) => {
        out += d;
        const m = pattern.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      });
    });
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

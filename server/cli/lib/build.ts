import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const SOURCES = ['app', 'components', 'server', 'db', 'public', 'instrumentation.ts', 'proxy.ts', 'package.json', 'package-lock.json', 'next.config.mjs', 'tsconfig.json', 'postcss.config.mjs'];

function newestMtime(p: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of fs.readdirSync(p)) {
    if (/\.test\.tsx?$/.test(name)) continue; // tests are not part of the build
    newest = Math.max(newest, newestMtime(path.join(p, name)));
  }
  return newest;
}

/** A build is current when .next/BUILD_ID is newer than every source file. */
export function buildIsCurrent(root = process.cwd()): boolean {
  let built: number;
  try {
    built = fs.statSync(path.join(root, '.next', 'BUILD_ID')).mtimeMs;
  } catch {
    return false;
  }
  return SOURCES.every((s) => newestMtime(path.join(root, s)) <= built);
}

export function ensureBuild(env: NodeJS.ProcessEnv = process.env) {
  if (buildIsCurrent()) return;
  console.log('[eventcart] no current production build: running next build');
  const r = spawnSync('node_modules/.bin/next', ['build'], { stdio: 'inherit', env: { ...env, NEXT_TELEMETRY_DISABLED: '1' } });
  if (r.status !== 0) {
    console.error('[eventcart] next build failed');
    process.exit(r.status ?? 1);
  }
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';

// A fresh PGlite database costs ~1.7 s and 2.5 s of CPU, almost all of it initdb; loading a data
// directory that was dumped after initdb and the migrations costs ~0.4 s. The suite opens dozens of
// PGlite databases, so Vitest's global setup (vitest.global-setup.ts) makes this template once per run.

/** Writes a migrated, empty PGlite data directory as a tarball; returns its path. */
export async function writePgliteTemplate(): Promise<string> {
  const handle = openDatabase({ pgliteDir: 'memory://' });
  try {
    await migrateDatabase(handle);
    const client = (handle.db as unknown as { $client: import('@electric-sql/pglite').PGlite }).$client;
    const dump = await client.dumpDataDir('none');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'eventcart-pglite-')), 'template.tar');
    fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
    return file;
  } finally {
    await handle.close();
  }
}

export function readPgliteTemplate(file: string): Blob {
  return new Blob([fs.readFileSync(file)]);
}

import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { writePgliteTemplate } from './server/testing/pglite-template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated, empty PGlite data directory (tarball) that createTestDatabase starts from. */
    pgliteTemplate: string;
  }
}

export default async function setup(project: TestProject) {
  const file = await writePgliteTemplate();
  project.provide('pgliteTemplate', file);
  return () => fs.rmSync(path.dirname(file), { recursive: true, force: true });
}

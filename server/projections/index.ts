export { verifyProjections, DEFAULT_BATCH_SIZE } from './verify';
export { rebuildProjections, type RebuildOptions } from './rebuild';
export { acquireRebuildLock, rebuildRunning, RebuildInProgressError, REBUILD_LOCK_KEY, type RebuildLock } from './lock';
export { projections } from './registry';
export type * from './types';

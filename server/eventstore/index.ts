export { append } from './append';
export { readStream, readStreams, readAll, streamVersion, lastVersion } from './read';
export { claimCommand, recordCommandResult } from './idempotency';
export { ConcurrencyError } from './errors';
export type * from './types';

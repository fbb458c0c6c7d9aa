export { append } from './append';
export { readStream, readStreams, readAll, streamVersion } from './read';
export { claimCommand, recordCommandResult } from './idempotency';
export { ConcurrencyError } from './errors';
export type * from './types';

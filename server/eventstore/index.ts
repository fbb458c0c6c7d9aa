export { append } from './append';
export { readStream, readStreams, readAll, streamVersion, lastVersion } from './read';
export { claimCommand, recordCommandResult } from './idempotency';
export { ConcurrencyError } from './errors';
export type * from './types';
export {
  readAfterCheckpoint,
  readCheckpoint,
  runSubscriber,
  drainSubscriber,
  lag,
  oldestWritingTransaction,
  START,
  DEFAULT_BATCH_SIZE,
} from './subscriptions';
export type { Checkpoint, Subscriber, RunResult, SubscriberLag, OpenTransaction } from './subscriptions';

import type { ExpectedVersion } from './types';

/** The stream was not at the version the writer expected: someone else appended first. */
export class ConcurrencyError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`Stream ${streamId}: expected version ${String(expected)}, actual version ${actual}`);
    this.name = 'ConcurrencyError';
  }
}

export type Actor = { userId: string; role: 'shopper' | 'admin' | 'system' | 'guest' };

/** Who, why and in answer to what: carried by every event. */
export type EventMetadata = {
  actor: Actor;
  correlationId: string;
  causationId: string | null;
  commandId: string | null;
};

export type NewEvent = {
  type: string;
  data: unknown;
  schemaVersion?: number;
};

export type StoredEvent = {
  globalPosition: number;
  streamId: string;
  streamType: string;
  streamVersion: number;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata;
  occurredAt: Date;
  recordedAt: Date;
  transactionId: number;
};

/** A number (the stream's current version; 0 = no stream), 'no_stream' (must not exist) or 'any'. */
export type ExpectedVersion = number | 'no_stream' | 'any';

export type AppendResult = { nextExpectedVersion: number; events: StoredEvent[] };

// Stored events -> what the cart module reads. Every read path goes through here, so old schema
// versions are upcast to the current one before evolve, the projections or the API see them.
import type { StoredEvent } from '../eventstore/types';
import type { CartEventEnvelope } from './events';
import { upcast } from './upcast';

/** The stored event with its data at the current schema version (and `schemaVersion` saying so). */
export function upcastStored(e: StoredEvent): StoredEvent {
  const up = upcast(e.type, e.schemaVersion, e.data);
  return up.schemaVersion === e.schemaVersion && up.data === e.data ? e : { ...e, schemaVersion: up.schemaVersion, data: up.data };
}

export const toEnvelope = (e: StoredEvent): CartEventEnvelope => {
  const { data } = upcast(e.type, e.schemaVersion, e.data);
  return { type: e.type, data, version: e.streamVersion, occurredAt: e.occurredAt.toISOString() } as CartEventEnvelope;
};

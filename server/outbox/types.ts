import type { Db } from '@/db/client';

/** The integration events the shop announces to the outside world (subjects under NATS_SUBJECT_PREFIX). */
export const INTEGRATION_SUBJECTS = ['cart.checked_out', 'order.confirmed', 'order.failed'] as const;
export type IntegrationSubject = (typeof INTEGRATION_SUBJECTS)[number];

/** One message as it leaves the outbox: consumers deduplicate by `messageId`. */
export type IntegrationMessage = {
  messageId: string;
  subject: IntegrationSubject;
  /** Messages with one key (a cart) are published in the order they were written. */
  partitionKey: string;
  payload: Record<string, unknown>;
  correlationId: string | null;
  /** When the domain transaction that wrote it ran (ISO). */
  createdAt: string;
  /** Its place in the outbox. */
  position: number;
};

export type NewIntegrationMessage = Pick<IntegrationMessage, 'messageId' | 'subject' | 'partitionKey' | 'payload' | 'correlationId'>;

/** Where the relay hands messages: NATS JetStream, or the in-process consumers. */
export type Publisher = {
  readonly name: string;
  /** Resolves once the message is stored (JetStream ack) or handled (in process); throws otherwise. */
  publish: (message: IntegrationMessage) => Promise<void>;
  close?: () => Promise<void>;
};

/** Something that reacts to integration messages; it runs once per message id (see consume.ts). */
export type IntegrationConsumer = {
  name: string;
  subjects: IntegrationSubject[];
  /** Runs in the transaction that records the message as handled: both commit or neither. */
  handle: (tx: Db, message: IntegrationMessage) => Promise<void>;
};

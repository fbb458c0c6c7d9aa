import { z } from 'zod';

const flag = z
  .enum(['0', '1', 'true', 'false', 'on', 'off', ''])
  .optional()
  .transform((v) => !(v === '0' || v === 'false' || v === 'off'));

const OutboxEnv = z.object({
  /** With it, integration messages go to NATS JetStream; without it, to the in-process consumers. */
  NATS_URL: z
    .string()
    .regex(/^(nats|tls|wss?):\/\/.+/, 'must be a nats:// (or tls://, ws://, wss://) address')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  NATS_STREAM: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only').default('EVENTCART'),
  NATS_SUBJECT_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'dot-separated tokens').default('eventcart'),
  OUTBOX_RELAY: flag,
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
});

export type OutboxEnv = z.infer<typeof OutboxEnv>;

export function readOutboxEnv(env: NodeJS.ProcessEnv = process.env): OutboxEnv {
  const parsed = OutboxEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid outbox configuration:\n${lines}`);
  }
  return parsed.data;
}

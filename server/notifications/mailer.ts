import 'server-only';
import nodemailer, { type Transporter } from 'nodemailer';
import { z } from 'zod';

const MailEnv = z.object({
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/.+/, 'must be an smtp:// or smtps:// address')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  MAIL_FROM: z.string().min(3).default('eventcart <orders@eventcart.local>'),
  /** The shop's public address, for links in messages. */
  PUBLIC_URL: z.string().url().optional().or(z.literal('').transform(() => undefined)),
});

export type MailEnv = z.infer<typeof MailEnv>;

export function readMailEnv(env: NodeJS.ProcessEnv = process.env): MailEnv {
  const parsed = MailEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid mail configuration:\n${lines}`);
  }
  return parsed.data;
}

const transports = new Map<string, Transporter>();

/** One pooled SMTP transport per address, or null when SMTP_URL is not set (messages are then stored). */
export function smtpTransport(env: MailEnv = readMailEnv()): Transporter | null {
  if (!env.SMTP_URL) return null;
  let t = transports.get(env.SMTP_URL);
  if (!t) {
    t = nodemailer.createTransport(env.SMTP_URL, { from: env.MAIL_FROM });
    transports.set(env.SMTP_URL, t);
  }
  return t;
}

import 'server-only';
import { eq, inArray } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { users } from '@/db/schema';
import { dummyHash, verifyPassword } from './password';

export type SessionUser = { id: string; email: string; name: string; role: 'shopper' | 'admin' };

/** The user for these credentials, or null; the same work is done whether or not the account exists. */
export async function verifyCredentials(email: string, password: string): Promise<SessionUser | null> {
  const [row] = await getDb().select().from(users).where(eq(users.email, email.trim().toLowerCase()));
  const ok = await verifyPassword(password, row?.passwordHash ?? (await dummyHash()));
  if (!row || !ok) return null;
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}

/** Display names for actor ids (history, audit). Unknown ids are left out. */
export async function userNames(ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)].filter((id) => id !== 'system');
  if (unique.length === 0) return new Map();
  const rows = await getDb().select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, unique));
  return new Map(rows.map((r) => [r.id, r.name]));
}

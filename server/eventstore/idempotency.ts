import 'server-only';
import { eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { commands } from '@/db/schema';

export type Claim<R> = { claimed: true } | { claimed: false; result: R; sameRequest: boolean };

/**
 * Records a command id before the command runs, in the command's transaction. A concurrent duplicate
 * blocks on the unique key until the first commits, then finds its result; if the first rolls back,
 * the duplicate claims the id itself.
 */
export function claimCommand<R>(
  tx: Db,
  commandId: string,
  streamId: string,
  fingerprint: string,
): Promise<Claim<R>> {
  // Sent at once (not at the first await of an async function), so a caller that goes on to send the
  // command's next statements without waiting gets them run after this one, in order.
  const inserted = tx
    .insert(commands)
    .values({ commandId, streamId, fingerprint })
    .onConflictDoNothing()
    .returning({ commandId: commands.commandId })
    .then((rows) => rows);
  return inserted.then(async (rows): Promise<Claim<R>> => {
    if (rows.length > 0) return { claimed: true };
    const [row] = await tx.select().from(commands).where(eq(commands.commandId, commandId));
    return { claimed: false, result: row.result as R, sameRequest: row.fingerprint === fingerprint };
  });
}

export async function recordCommandResult(tx: Db, commandId: string, result: unknown): Promise<void> {
  await tx.update(commands).set({ result }).where(eq(commands.commandId, commandId));
}

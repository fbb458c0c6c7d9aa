'use server';

import { revalidatePath } from 'next/cache';
import { currentUser } from '../auth';
import { inAction } from '../http/action-context';
import { OrderIdParam } from '../http/params';
import { toAppError } from '../http/errors';
import { log } from '../log';
import { retryOrder } from './admin';
import type { OrderSummary } from './place';

export type RetryResult = { ok: true; order: OrderSummary } | { ok: false; error: { code: string; message: string } };

/** Admins retry a failed order (server/orders/admin.ts: retryOrder). */
export async function retryOrderAction(orderId: string): Promise<RetryResult> {
  return inAction(async () => {
    const user = await currentUser();
    if (!user) return { ok: false, error: { code: 'unauthorized', message: 'Sign in first.' } };
    if (!OrderIdParam.safeParse(orderId).success) return { ok: false, error: { code: 'order_not_found', message: 'Order not found.' } };
    try {
      const order = await retryOrder({ userId: user.userId, role: user.role }, orderId);
      revalidatePath('/admin/orders');
      return { ok: true, order };
    } catch (e) {
      const err = toAppError(e);
      if (err.status >= 500) log.error({ err: e }, 'retry order failed');
      return { ok: false, error: { code: err.code, message: err.message } };
    }
  });
}

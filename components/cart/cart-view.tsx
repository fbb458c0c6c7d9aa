'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useOptimistic, useState, useTransition } from 'react';
import { changeQuantityAction, checkoutAction, removeItemAction, type CartActionResult } from '@/server/cart/actions';
import type { CartEvent } from '@/server/cart/events';
import { evolve, type CartState } from '@/server/cart/evolve';
import { formatMoney } from '../ui/format';
import { CartLineRow } from './cart-line';
import { LiveNote } from './live-note';
import { useLiveCart } from './use-live-cart';
import { useOpenCart } from './use-open-cart';

type Message = { kind: 'ok' | 'error'; text: string };

export function CartView({ initialCart }: { initialCart: CartState | null }) {
  const router = useRouter();
  const [connected, setConnected] = useState(false);
  const { cart, setCart, refetch } = useOpenCart(initialCart, { poll: !connected });
  // The same evolve the server folds with: the guess is what the server will most likely answer.
  const [shown, applyOptimistic] = useOptimistic(cart, (state: CartState | null, event: CartEvent) =>
    state ? evolve(state, { ...event, version: state.version + 1, occurredAt: new Date().toISOString() }) : state,
  );
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<Message | null>(null);
  const [placed, setPlaced] = useState<{ orderId: string; totalCents: number; currency: string } | null>(null);
  const [updatedElsewhere, setUpdatedElsewhere] = useState(0);

  // Another device or tab changed a cart of ours: fetch the open cart, and if it is not what we held,
  // say so and refresh the server-rendered header's count.
  useLiveCart({
    cartId: cart?.cartId,
    version: cart?.version ?? 0,
    busy: pending,
    onNewer: () => {
      const before = cart;
      void refetch().then(({ data }) => {
        if (data?.cartId === before?.cartId && data?.version === before?.version) return;
        setUpdatedElsewhere(Date.now());
        router.refresh();
      });
    },
    onConnection: setConnected,
  });

  function send(guess: CartEvent | null, call: () => Promise<CartActionResult>, done: (r: Extract<CartActionResult, { ok: true }>) => string) {
    startTransition(async () => {
      if (guess) applyOptimistic(guess);
      const res = await call();
      if (res.ok) {
        setCart(res.cart.status === 'open' ? res.cart : null);
        setMessage({ kind: 'ok', text: done(res) });
      } else {
        setMessage({ kind: 'error', text: res.error.message });
        await refetch();
      }
    });
  }

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
        <div className="flex items-baseline gap-3">
          <h1 className="text-2xl font-bold">Your cart</h1>
          <LiveNote connected={connected} updatedAt={updatedElsewhere} />
        </div>
        <div role="status" aria-live="polite" aria-atomic="true" data-testid="cart-messages" className="text-sm">
          {message && <span className={message.kind === 'error' ? 'font-medium text-red-700' : 'text-emerald-700'}>{message.text}</span>}
        </div>
      </div>

      {placed && (
        <section aria-labelledby="placed-title" className="rounded-2xl border border-emerald-200 bg-emerald-50 p-6">
          <h2 id="placed-title" className="text-lg font-semibold text-emerald-900">
            Thank you! Your order is placed.
          </h2>
          <p className="mt-1 text-emerald-900">
            Order <span data-testid="order-id" className="font-mono font-semibold">{placed.orderId}</span>, total{' '}
            {formatMoney(placed.totalCents, placed.currency)}.
          </p>
          <Link href={`/orders/${placed.orderId}`} className="mt-3 inline-block font-medium text-emerald-800 underline">
            View order
          </Link>
        </section>
      )}

      {!shown || shown.items.length === 0 ? (
        <section className="rounded-2xl border border-dashed border-stone-300 bg-white p-10 text-center">
          <p className="text-lg font-semibold">Your cart is empty</p>
          <p className="mt-1 text-stone-600">Find something good in the shop.</p>
          <Link href="/" className="mt-4 inline-block rounded-lg bg-brand-600 px-4 py-2 font-semibold text-white hover:bg-brand-700">
            Browse products
          </Link>
        </section>
      ) : (
        <div className="grid gap-6 lg:grid-cols-[1fr_320px]">
          <section aria-label="Cart lines" className="rounded-2xl border border-stone-200 bg-white px-4 sm:px-6">
            <ul className="divide-y divide-stone-100">
              {shown.items.map((line) => (
                <CartLineRow
                  key={line.productId}
                  line={line}
                  currency={shown.currency}
                  disabled={false}
                  onQuantity={(q) =>
                    send(
                      q === 0
                        ? { type: 'ItemRemoved', data: { productId: line.productId, quantity: line.quantity } }
                        : { type: 'ItemQuantityChanged', data: { productId: line.productId, from: line.quantity, to: q } },
                      () => changeQuantityAction(shown.cartId, line.productId, q),
                      () => (q === 0 ? `Removed ${line.name}` : `${line.name}: quantity ${q}`),
                    )
                  }
                  onRemove={() =>
                    send(
                      { type: 'ItemRemoved', data: { productId: line.productId, quantity: line.quantity } },
                      () => removeItemAction(shown.cartId, line.productId),
                      () => `Removed ${line.name}`,
                    )
                  }
                />
              ))}
            </ul>
          </section>
          <aside aria-label="Summary" className="h-fit space-y-4 rounded-2xl border border-stone-200 bg-white p-6">
            <dl className="space-y-2 text-sm">
              <div className="flex justify-between">
                <dt className="text-stone-600">Items</dt>
                <dd data-testid="item-count" className="tabular-nums">{shown.itemCount}</dd>
              </div>
              <div className="flex justify-between border-t border-stone-100 pt-2 text-base font-semibold">
                <dt id="total-label">Total</dt>
                <dd aria-labelledby="total-label" data-testid="cart-total" className="tabular-nums">
                  {formatMoney(shown.totalCents, shown.currency)}
                </dd>
              </div>
            </dl>
            <button
              type="button"
              disabled={pending}
              onClick={() =>
                send(null, () => checkoutAction(shown.cartId), (r) => {
                  setPlaced({ orderId: r.orderId ?? '', totalCents: r.cart.totalCents, currency: r.cart.currency });
                  return `Order ${r.orderId} placed`;
                })
              }
              className="w-full rounded-lg bg-brand-600 px-4 py-3 font-semibold text-white hover:bg-brand-700 disabled:bg-stone-300"
            >
              {pending ? 'Working…' : 'Checkout'}
            </button>
            <p className="text-xs text-stone-500">
              Version {shown.version} ·{' '}
              <Link className="underline" href={`/carts/${shown.cartId}/history`}>
                history
              </Link>{' '}
              · <Link className="underline" href="/carts">all your carts</Link>
            </p>
          </aside>
        </div>
      )}
    </div>
  );
}

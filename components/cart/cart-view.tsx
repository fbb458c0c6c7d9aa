'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useOptimistic, useState, useTransition } from 'react';
import { abandonCartAction, changeQuantityAction, checkoutAction, removeItemAction, type CartActionResult } from '@/server/cart/actions';
import type { CartEvent } from '@/server/cart/events';
import type { MergeNotice } from '@/server/cart/merge';
import { evolve, type CartState } from '@/server/cart/evolve';
import { pricesOf, repricingOf } from '@/server/cart/reprice';
import { formatMoney } from '../ui/format';
import { CartLineRow } from './cart-line';
import { PriceChangeNotice, signedMoney } from './price-change';
import { useOpenCart, type OpenCart } from './use-open-cart';

import type { PaymentMethod } from '@/server/orders/events';
import type { OrderSummary } from '@/server/orders/place';
import { TEST_CARDS } from '@/server/payments/provider';
import { LiveNote } from './live-note';
import { useLiveCart } from './use-live-cart';

type Message = { kind: 'ok' | 'error'; text: string };
type Placed = { order: OrderSummary; totalCents: number; currency: string };

/** `guest`: not signed in; the cart is the browser's guest cart, and checking out means signing in first. */
export function CartView({
  initialCart,
  guest = false,
  mergeNotice = null,
}: {
  initialCart: OpenCart | null;
  guest?: boolean;
  mergeNotice?: MergeNotice | null;
}) {
  const router = useRouter();
  const [connected, setConnected] = useState(false);
  // Guests have no API session, so no live feed: their cart page keeps polling.
  const { cart, setCart, refetch } = useOpenCart(initialCart, { guest, poll: guest || !connected });
  // The same evolve the server folds with: the guess is what the server will most likely answer.
  const [shown, applyOptimistic] = useOptimistic(cart, (state: CartState | null, event: CartEvent) =>
    state ? evolve(state, { ...event, version: state.version + 1, occurredAt: new Date().toISOString() }) : state,
  );
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<Message | null>(null);
  const [placed, setPlaced] = useState<Placed | null>(null);
  const [card, setCard] = useState<PaymentMethod>('card_ok');
  // Current catalog prices come from the server's last answer; applied to the (optimistic) lines shown.
  const repricing = shown && shown.status === 'open' ? repricingOf(shown.items, pricesOf(cart?.repricing)) : null;
  const newPrice = new Map(repricing?.lines.map((l) => [l.productId, l.toCents]));
  const chargeCents = repricing ? repricing.totalCents : (shown?.totalCents ?? 0);

  const [updatedElsewhere, setUpdatedElsewhere] = useState(0);

  // Another device or tab changed a cart of ours: fetch the open cart, and if it is not what we held,
  // say so and refresh the server-rendered header's count.
  useLiveCart({
    enabled: !guest,
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

  function send(
    guess: CartEvent | null,
    call: () => Promise<CartActionResult>,
    done: (r: Extract<CartActionResult, { ok: true }>) => string | Message,
  ) {
    startTransition(async () => {
      if (guess) applyOptimistic(guess);
      const res = await call();
      if (res.ok) {
        setCart(res.cart.status === 'open' ? res.cart : null);
        const said = done(res);
        setMessage(typeof said === 'string' ? { kind: 'ok', text: said } : said);
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

      {mergeNotice && shown?.version === mergeNotice.version && <MergedFromGuest notice={mergeNotice} cartId={shown.cartId} />}

      {placed && <PlacedOrder placed={placed} />}

      {!shown || shown.items.length === 0 ? (
        <section className="rounded-2xl border border-dashed border-stone-300 bg-white p-10 text-center">
          <p className="text-lg font-semibold">Your cart is empty</p>
          <p className="mt-1 text-stone-600">Find something good in the shop.</p>
          <Link href="/" className="mt-4 inline-block rounded-lg bg-brand-600 px-4 py-2 font-semibold text-white hover:bg-brand-700">
            Browse products
          </Link>
        </section>
      ) : (
        <div className={`grid gap-6 lg:grid-cols-[1fr_320px] ${repricing ? 'lg:grid-rows-[auto_1fr]' : ''}`}>
          {repricing && <PriceChangeNotice repricing={repricing} currency={shown.currency} />}
          <section aria-label="Cart lines" className="h-fit rounded-2xl border border-stone-200 bg-white px-4 sm:px-6 lg:col-start-1">
            <ul className="divide-y divide-stone-100">
              {shown.items.map((line) => (
                <CartLineRow
                  key={line.productId}
                  line={line}
                  newPriceCents={newPrice.get(line.productId)}
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
          <aside
            aria-label="Summary"
            className={`h-fit space-y-4 rounded-2xl border border-stone-200 bg-white p-6 lg:col-start-2 lg:row-start-1 ${repricing ? 'lg:row-span-2' : ''}`}
          >
            <dl className="space-y-2 text-sm">
              <div className="flex justify-between">
                <dt className="text-stone-600">Items</dt>
                <dd data-testid="item-count" className="tabular-nums">{shown.itemCount}</dd>
              </div>
              {repricing && (
                <>
                  <div className="flex justify-between text-stone-600">
                    <dt>At the prices when added</dt>
                    <dd className="tabular-nums line-through">{formatMoney(shown.totalCents, shown.currency)}</dd>
                  </div>
                  <div className="flex justify-between text-stone-600">
                    <dt>Price changes</dt>
                    <dd data-testid="cart-price-difference" className="tabular-nums font-medium text-violet-800">
                      {signedMoney(repricing.differenceCents, shown.currency)}
                    </dd>
                  </div>
                </>
              )}
              <div className="flex justify-between border-t border-stone-100 pt-2 text-base font-semibold">
                <dt>
                  <span id="total-label">Total</span>
                  {repricing && <span className="block text-xs font-normal text-stone-500">at current prices</span>}
                </dt>
                <dd aria-labelledby="total-label" data-testid="cart-total" className="tabular-nums">
                  {formatMoney(chargeCents, shown.currency)}
                </dd>
              </div>
            </dl>
            {guest ? (
              <GuestCheckout />
            ) : (
              <>
              <PaymentChoice value={card} onChange={setCard} disabled={pending} />
              <button
                type="button"
                disabled={pending}
                onClick={() =>
                  // The total shown is the only total checkout may charge (else 409 prices_changed).
                  send(null, () => checkoutAction(shown.cartId, chargeCents, card), (r) => {
                    const order = r.order ?? { orderId: r.orderId ?? '', status: 'placed' as const, attempt: 1, failure: null };
                    setPlaced({ order, totalCents: r.cart.totalCents, currency: r.cart.currency });
                    // A failed order reopened this cart: the answer carries it as it is now, open again.
                    if (order.status === 'failed') return { kind: 'error', text: `Order ${order.orderId} failed` };
                    return `Order ${order.orderId} ${order.status === 'confirmed' ? 'confirmed' : 'placed'}`;
                  })
                }
                className="w-full rounded-lg bg-brand-600 px-4 py-3 font-semibold text-white hover:bg-brand-700 disabled:bg-stone-300"
              >
                {pending ? 'Working…' : 'Checkout'}
              </button>
              <button
                type="button"
                disabled={pending}
                onClick={() => send(null, () => abandonCartAction(shown.cartId), () => 'Cart abandoned; its items are back in stock')}
                className="w-full rounded-lg border border-stone-300 px-4 py-2 text-sm font-medium text-stone-700 hover:border-red-300 hover:text-red-700 disabled:text-stone-400"
              >
                Abandon cart
              </button>
              </>
            )}
            {guest ? (
              <p className="text-xs text-stone-500">Version {shown.version} · guest cart</p>
            ) : (
              <p className="text-xs text-stone-500">
                Version {shown.version} ·{' '}
                <Link className="underline" href={`/carts/${shown.cartId}/history`}>
                  history
                </Link>{' '}
                · <Link className="underline" href="/carts">all your carts</Link>
              </p>
            )}
          </aside>
        </div>
      )}
    </div>
  );
}

/** A guest signs in to check out; the guest cart is merged into the account's cart on the way. */
function GuestCheckout() {
  return (
    <div className="space-y-2">
      <Link
        href={`/login?callbackUrl=${encodeURIComponent('/cart')}`}
        className="block w-full rounded-lg bg-brand-600 px-4 py-3 text-center font-semibold text-white hover:bg-brand-700"
      >
        Sign in to check out
      </Link>
      <p data-testid="guest-note" className="text-xs text-stone-600">
        You are shopping as a guest. When you sign in, this cart is added to your account&apos;s cart, and both carts&apos;
        histories show the merge.
      </p>
    </div>
  );
}

/** Right after sign-in: what the guest cart brought in, and what did not fit; never a silent merge. */
function MergedFromGuest({ notice, cartId }: { notice: MergeNotice; cartId: string }) {
  return (
    <section data-testid="merge-notice" className="rounded-2xl border border-violet-200 bg-violet-50 px-4 py-3 text-sm text-violet-900">
      <p>
        {notice.lines} {notice.lines === 1 ? 'line' : 'lines'} from the cart you filled before signing in (guest cart{' '}
        <span className="font-mono">{notice.fromCartId.slice(0, 8)}</span>) {notice.lines === 1 ? 'was' : 'were'} added to this cart.{' '}
        <Link className="font-medium underline" href={`/carts/${cartId}/history`}>
          See the history
        </Link>
      </p>
      {notice.capped.length > 0 && (
        <ul className="mt-1 list-disc pl-5 text-amber-800">
          {notice.capped.map((c) => (
            <li key={c.productId}>
              {c.name}: {c.merged} of {c.requested} added
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The simulated payment provider's test cards: one is approved, one declined (to see a failed order undone). */
function PaymentChoice({ value, onChange, disabled }: { value: PaymentMethod; onChange: (m: PaymentMethod) => void; disabled: boolean }) {
  return (
    <fieldset className="space-y-1.5" disabled={disabled}>
      <legend className="mb-1 text-sm font-medium text-stone-700">Pay with</legend>
      {TEST_CARDS.map((c) => (
        <label key={c.method} className="flex cursor-pointer items-start gap-2 rounded-lg border border-stone-200 px-3 py-2 text-sm has-[:checked]:border-brand-600 has-[:checked]:bg-brand-50">
          <input type="radio" name="payment-method" value={c.method} checked={value === c.method} onChange={() => onChange(c.method)} className="mt-1 accent-brand-600" />
          <span>
            <span className="block font-medium">{c.label}</span>
            <span className="block font-mono text-xs text-stone-500">{c.number}</span>
          </span>
        </label>
      ))}
      <p className="text-xs text-stone-500">A simulated payment provider: no real card is charged.</p>
    </fieldset>
  );
}

/** After checkout: confirmed, still going, or failed with the reason (and the cart is open again). */
function PlacedOrder({ placed }: { placed: Placed }) {
  const { order } = placed;
  const link = (
    <Link href={`/orders/${order.orderId}`} className="mt-3 inline-block font-medium underline">
      View order
    </Link>
  );
  if (order.status === 'failed') {
    return (
      <section aria-labelledby="placed-title" data-testid="order-failed" className="rounded-2xl border border-red-200 bg-red-50 p-6 text-red-900">
        <h2 id="placed-title" className="text-lg font-semibold">
          Your order could not be completed
        </h2>
        <p className="mt-1" data-testid="order-failure-reason">
          {order.failure?.reason ?? 'The order failed.'}
        </p>
        <p className="mt-1 text-sm">
          Nothing was charged, and your cart below is open again with the same items. Order{' '}
          <span data-testid="order-id" className="font-mono">{order.orderId}</span>.
        </p>
        {link}
      </section>
    );
  }
  const confirmed = order.status === 'confirmed';
  return (
    <section aria-labelledby="placed-title" className="rounded-2xl border border-emerald-200 bg-emerald-50 p-6 text-emerald-900">
      <h2 id="placed-title" className="text-lg font-semibold">
        {confirmed ? 'Thank you! Your order is confirmed.' : 'Thank you! Your order is placed.'}
      </h2>
      <p className="mt-1">
        Order <span data-testid="order-id" className="font-mono font-semibold">{order.orderId}</span>, total{' '}
        {formatMoney(placed.totalCents, placed.currency)}.{confirmed ? '' : ' We are taking the payment; the order page shows each step.'}
      </p>
      {link}
    </section>
  );
}

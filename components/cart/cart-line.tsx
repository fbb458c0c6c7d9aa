'use client';

import Image from 'next/image';
import type { CartLine } from '@/server/cart/events';
import { MAX_QUANTITY } from '@/server/cart/events';
import { formatMoney } from '../ui/format';
import { signedMoney } from './price-change';

type Props = {
  line: CartLine;
  /** The current catalog price when it differs from the price the line was added at. */
  newPriceCents?: number;
  currency: string;
  disabled: boolean;
  onQuantity: (quantity: number) => void;
  onRemove: () => void;
};

export function CartLineRow({ line, newPriceCents, currency, disabled, onQuantity, onRemove }: Props) {
  const changed = newPriceCents !== undefined && newPriceCents !== line.unitPriceCents;
  const commit = (raw: string) => {
    const q = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(q) || q === line.quantity) return;
    onQuantity(Math.max(0, Math.min(MAX_QUANTITY, q)));
  };
  const inputId = `qty-${line.productId}`;
  return (
    <li className="flex items-center gap-3 py-4 sm:gap-4" data-testid={`line-${line.productId}`}>
      <Image src={`/products/${line.productId}.svg`} alt="" width={96} height={72} unoptimized className="h-12 w-16 shrink-0 rounded-lg object-cover sm:h-18 sm:w-24" />
      {/* Phones: name and Remove on one row, quantity and line total below; wider screens: one row. */}
      <div className="grid min-w-0 flex-1 grid-cols-[1fr_auto] items-center gap-x-3 gap-y-2 sm:grid-cols-[1fr_auto_6rem_auto] sm:gap-x-4">
      <div className="min-w-0">
        <p className="font-semibold">{line.name}</p>
        {changed ? (
          <p className="text-sm text-stone-500" data-testid="price-change">
            <span className="line-through">{formatMoney(line.unitPriceCents, currency)}</span>{' '}
            <span className="font-medium text-violet-800">
              now {formatMoney(newPriceCents, currency)} each ({signedMoney(newPriceCents - line.unitPriceCents, currency)})
            </span>
          </p>
        ) : (
          <p className="text-sm text-stone-500">{formatMoney(line.unitPriceCents, currency)} each</p>
        )}
      </div>
      <div className="order-3 flex items-center gap-1 sm:order-none">
        <button
          type="button"
          aria-label={`Decrease quantity of ${line.name}`}
          disabled={disabled}
          onClick={() => onQuantity(line.quantity - 1)}
          className="h-9 w-9 rounded-lg border border-stone-300 bg-white text-lg leading-none hover:bg-stone-50 disabled:opacity-50"
        >
          −
        </button>
        <label htmlFor={inputId} className="sr-only">
          Quantity of {line.name}
        </label>
        <input
          id={inputId}
          key={`${line.productId}:${line.quantity}`}
          type="number"
          inputMode="numeric"
          min={0}
          max={MAX_QUANTITY}
          defaultValue={line.quantity}
          disabled={disabled}
          onBlur={(e) => commit(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commit(e.currentTarget.value);
          }}
          className="h-9 w-16 rounded-lg border border-stone-300 text-center tabular-nums"
        />
        <button
          type="button"
          aria-label={`Increase quantity of ${line.name}`}
          disabled={disabled || line.quantity >= MAX_QUANTITY}
          onClick={() => onQuantity(line.quantity + 1)}
          className="h-9 w-9 rounded-lg border border-stone-300 bg-white text-lg leading-none hover:bg-stone-50 disabled:opacity-50"
        >
          +
        </button>
      </div>
      <p className="order-4 text-right font-semibold tabular-nums sm:order-none" data-testid="line-total">
        {formatMoney(changed ? newPriceCents * line.quantity : line.lineTotalCents, currency)}
      </p>
      <button
        type="button"
        onClick={onRemove}
        disabled={disabled}
        aria-label={`Remove ${line.name}`}
        className="order-2 justify-self-end rounded-lg px-2 py-1 text-sm text-stone-500 hover:bg-red-50 hover:text-red-700 disabled:opacity-50 sm:order-none"
      >
        Remove
      </button>
      </div>
    </li>
  );
}

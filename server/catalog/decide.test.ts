import { describe, expect, it } from 'vitest';
import { CartError } from '../cart/errors';
import { decideProductUpdate, type ProductState } from './decide';
import { productEventRegistry } from './events';

const mug: ProductState = { productId: 'ceramic-mug', name: 'Ceramic mug', currency: 'EUR', priceCents: 1200, stock: 60 };

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof CartError) return `${e.kind}:${e.code}`;
    throw e;
  }
  return 'no error';
}

describe('decideProductUpdate (admin catalog changes)', () => {
  it('a new price: ProductPriceChanged from the current price to the new one', () => {
    expect(decideProductUpdate({ priceCents: 1450 }, mug, 'ceramic-mug')).toEqual([
      { type: 'ProductPriceChanged', data: { productId: 'ceramic-mug', name: 'Ceramic mug', currency: 'EUR', fromCents: 1200, toCents: 1450 } },
    ]);
  });

  it('a new stock: ProductStockAdjusted with from, to and the reason (a default when none is given)', () => {
    expect(decideProductUpdate({ stock: 75, reason: '  delivery ' }, mug, 'ceramic-mug')).toEqual([
      { type: 'ProductStockAdjusted', data: { productId: 'ceramic-mug', name: 'Ceramic mug', from: 60, to: 75, reason: 'delivery' } },
    ]);
    expect(decideProductUpdate({ stock: 0 }, mug, 'ceramic-mug')[0]).toMatchObject({ data: { from: 60, to: 0, reason: 'admin adjustment' } });
  });

  it('both: price first, then stock; a value equal to the current one is no event', () => {
    expect(decideProductUpdate({ priceCents: 1000, stock: 61 }, mug, 'ceramic-mug').map((e) => e.type)).toEqual([
      'ProductPriceChanged',
      'ProductStockAdjusted',
    ]);
    expect(decideProductUpdate({ priceCents: 1200, stock: 60 }, mug, 'ceramic-mug')).toEqual([]);
  });

  it('refuses: unknown product (404), nothing to change, negative / fractional / huge price or stock (400)', () => {
    expect(code(() => decideProductUpdate({ priceCents: 1 }, null, 'nope'))).toBe('not_found:product_not_found');
    expect(code(() => decideProductUpdate({}, mug, 'ceramic-mug'))).toBe('invalid:nothing_to_change');
    expect(code(() => decideProductUpdate({ priceCents: -1 }, mug, 'ceramic-mug'))).toBe('invalid:invalid_price');
    expect(code(() => decideProductUpdate({ priceCents: 12.5 }, mug, 'ceramic-mug'))).toBe('invalid:invalid_price');
    expect(code(() => decideProductUpdate({ priceCents: 10_000_001 }, mug, 'ceramic-mug'))).toBe('invalid:invalid_price');
    expect(code(() => decideProductUpdate({ stock: -3 }, mug, 'ceramic-mug'))).toBe('invalid:invalid_stock');
    expect(code(() => decideProductUpdate({ stock: 1.5 }, mug, 'ceramic-mug'))).toBe('invalid:invalid_stock');
  });

  it('readable audit titles', () => {
    const [price, stock] = decideProductUpdate({ priceCents: 1450, stock: 70, reason: 'delivery' }, mug, 'ceramic-mug');
    expect(productEventRegistry.ProductPriceChanged.title(price.data as never)).toBe('Price of Ceramic mug: €12.00 → €14.50');
    expect(productEventRegistry.ProductStockAdjusted.title(stock.data as never)).toBe('Stock of Ceramic mug: 60 → 70 (delivery)');
  });
});

/** A cart rule said no. `kind` tells the transport layer how to answer (409, 404, 400). */
export type CartErrorKind = 'conflict' | 'not_found' | 'invalid';

export class CartError extends Error {
  constructor(
    readonly kind: CartErrorKind,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CartError';
  }
}

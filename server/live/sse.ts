import 'server-only';
import { log } from '../log';
import type { CartHub, LiveMessage } from './hub';

export type CartStreamOptions = {
  hub: CartHub;
  cartId: string;
  /** Reads the cart's current version with the caller's authorisation (throws if it may not). */
  currentVersion: () => Promise<number>;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  heartbeatMs?: number;
};

const encoder = new TextEncoder();

/**
 * A cart's changes as server-sent events. The subscription is in place (LISTEN ready) before the
 * current version is read and sent, so no change falls between the two; then one `cart` event per
 * committed change, and a comment line every `heartbeatMs` so proxies keep the connection open and a
 * dead client is noticed. Data is only `{ cartId, version, types }`: clients fetch the cart itself.
 */
export async function cartEventStream(opts: CartStreamOptions): Promise<Response> {
  const { hub, cartId, signal } = opts;
  let send: (msg: LiveMessage) => void = () => {};
  const unsubscribe = hub.subscribe(cartId, (msg) => send(msg));
  let version: number;
  try {
    await hub.ready();
    version = await opts.currentVersion();
  } catch (e) {
    unsubscribe();
    throw e;
  }

  let heartbeat: NodeJS.Timeout | undefined;
  let closed = false;
  const cleanUp = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(heartbeat);
    signal.removeEventListener('abort', onAbort);
  };
  let onAbort = () => {};

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const write = (text: string) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          cleanUp();
        }
      };
      const event = (v: number, types: string[]) => write(`event: cart\ndata: ${JSON.stringify({ cartId, version: v, types })}\n\n`);
      onAbort = () => {
        cleanUp();
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      signal.addEventListener('abort', onAbort);
      if (signal.aborted) return onAbort();

      // Browsers reconnect after `retry` ms when the connection drops.
      write(`retry: 2000\n\n`);
      event(version, []);
      heartbeat = setInterval(() => write(`: heartbeat\n\n`), opts.heartbeatMs ?? 15_000);
      send = (msg) => {
        if (msg.kind === 'change') return event(msg.change.version, msg.change.types);
        // Changes may have been missed while the hub was reconnecting: say where the cart is now.
        opts.currentVersion().then(
          (v) => event(v, []),
          (e) => {
            log.warn({ err: e, cartId }, 'live carts: resync failed, closing the stream');
            onAbort(); // the browser reconnects and starts afresh
          },
        );
      };
    },
    cancel() {
      cleanUp();
    },
  });

  return new Response(body, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // nginx and similar proxies would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    },
  });
}

import 'server-only';
import { log } from '../log';
import type { CartHub, LiveMessage } from './hub';
import type { CartChange } from './notify';

export type CartStreamOptions = {
  hub: CartHub;
  /** cartTopic(id) or userTopic(id). */
  topic: string;
  /**
   * Where things stand now, read with the caller's authorisation (throws if they may not listen):
   * sent first, and again after the hub had to listen anew. Null: nothing to say (no open cart yet).
   */
  current: () => Promise<Omit<CartChange, 'types'> | null>;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  heartbeatMs?: number;
};

const encoder = new TextEncoder();

/**
 * Cart changes as server-sent events. The subscription is in place (LISTEN ready) before the current
 * state is read and sent, so no change falls between the two; then one `cart` event per committed
 * change, and a comment line every `heartbeatMs` so proxies keep the connection open and a dead client
 * is noticed. Data is only `{ cartId, version, types }`: clients fetch the cart itself.
 */
export async function cartEventStream(opts: CartStreamOptions): Promise<Response> {
  const { hub, topic, signal } = opts;
  let send: (msg: LiveMessage) => void = () => {};
  const unsubscribe = hub.subscribe(topic, (msg) => send(msg));
  let now: Omit<CartChange, 'types'> | null;
  try {
    await hub.ready();
    now = await opts.current();
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
      const event = (c: Omit<CartChange, 'types'> | null, types: string[] = []) => {
        if (c) write(`event: cart\ndata: ${JSON.stringify({ cartId: c.cartId, version: c.version, types })}\n\n`);
      };
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
      event(now);
      heartbeat = setInterval(() => write(`: heartbeat\n\n`), opts.heartbeatMs ?? 15_000);
      send = (msg) => {
        if (msg.kind === 'change') return event(msg.change, msg.change.types);
        // Changes may have been missed while the hub was reconnecting: say where things are now.
        opts.current().then(
          (c) => event(c),
          (e) => {
            log.warn({ err: e, topic }, 'live carts: resync failed, closing the stream');
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

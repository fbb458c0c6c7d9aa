import net from 'node:net';

type SocketOptions = { host: string[]; port: number[]; path?: string | false; connect_timeout?: number | null };

const connectionError = (code: string, message: string) => Object.assign(new Error(message), { code });

/**
 * The socket postgres.js talks to PostgreSQL over (its `socket` option), opened here so that a server
 * going away always ends in an error instead of a hang.
 *
 * postgres.js 3.4.9 reconnects at once, in a loop and without its connect timeout, when the server (or
 * a proxy, load balancer or pooler in front of it) accepts a connection and closes it before the
 * startup exchange finished (porsager/postgres#1193, fix proposed in #1214): every query waits until the
 * database is back, however long that is. Here a close before the server has said anything becomes an
 * ECONNRESET error, which postgres.js hands to the waiting queries, so they fail fast (503) and the
 * next attempt starts afresh. The connect timeout is enforced here too, because postgres.js only starts
 * its own timer after this factory returns.
 */
export function pgSocketFactory(connectTimeoutSeconds: number) {
  let next = 0;
  return (options: SocketOptions): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const i = next++ % Math.max(1, options.host.length);
      const socket = options.path ? net.connect(options.path) : net.connect(options.port[i] ?? 5432, options.host[i] ?? 'localhost');
      const timeoutMs = (options.connect_timeout ?? connectTimeoutSeconds) * 1000;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(connectionError('CONNECT_TIMEOUT', `write CONNECT_TIMEOUT ${options.host[i]}:${options.port[i]}`));
      }, timeoutMs);
      timer.unref?.();
      let heard = false;
      socket.once('data', () => (heard = true));
      // The peer ended the connection before sending a byte: during startup, that is a refused connection.
      socket.once('end', () => {
        if (!heard) socket.destroy(connectionError('ECONNRESET', 'The database server closed the connection during startup.'));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', reject);
        resolve(socket);
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
}

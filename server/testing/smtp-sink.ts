import net from 'node:net';

export type SinkMail = { from: string; to: string[]; data: string };

/**
 * A minimal SMTP server on loopback for tests: accepts (or, with `reject`, refuses recipients of)
 * every message and keeps what it received. Plain SMTP, no TLS, no auth: enough for nodemailer.
 */
export async function startSmtpSink(opts: { reject?: boolean } = {}) {
  const mails: SinkMail[] = [];
  const server = net.createServer((socket) => {
    let buffer = '';
    let current: SinkMail = { from: '', to: [], data: '' };
    let inData = false;
    const say = (line: string) => socket.write(line + '\r\n');
    say('220 sink ESMTP');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let i: number;
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            mails.push(current);
            current = { from: '', to: [], data: '' };
            say('250 queued');
          } else current.data += (line.startsWith('..') ? line.slice(1) : line) + '\n';
          continue;
        }
        const cmd = line.slice(0, 4).toUpperCase();
        if (cmd === 'EHLO' || cmd === 'HELO') say('250 sink');
        else if (cmd === 'MAIL') {
          current.from = line.slice(10).trim();
          say('250 ok');
        } else if (cmd === 'RCPT') {
          if (opts.reject) say('550 no such mailbox');
          else {
            current.to.push(line.slice(8).trim());
            say('250 ok');
          }
        } else if (cmd === 'DATA') {
          inData = true;
          say('354 go ahead');
        } else if (cmd === 'QUIT') {
          say('221 bye');
          socket.end();
        } else if (cmd === 'RSET' || cmd === 'NOOP') say('250 ok');
        else say('502 not implemented');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

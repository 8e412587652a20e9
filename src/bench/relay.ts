/**
 * A counting TCP relay on loopback: forwards both ways to a target port and counts the TCP payload
 * bytes it forwards. Used for one extra handshake per protocol, so byte counts are exact while the
 * CPU samples stay free of the relay's own work.
 */
import net from 'node:net';

export interface CountingRelay {
  readonly port: number;
  bytes(): number;
  close(): void;
}

export async function countingRelay(targetPort: number): Promise<CountingRelay> {
  let n = 0;
  const server = net.createServer((c) => {
    const u = net.connect(targetPort, '127.0.0.1');
    c.on('data', (d: Buffer) => {
      n += d.length;
      u.write(d);
    });
    u.on('data', (d: Buffer) => {
      n += d.length;
      c.write(d);
    });
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
    c.on('end', () => u.end());
    u.on('end', () => c.end());
    c.on('close', () => u.destroy());
    u.on('close', () => c.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('relay has no TCP address');
  return { port: a.port, bytes: () => n, close: () => server.close() };
}

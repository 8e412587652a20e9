// A tiny network endpoint run inside a network namespace (via nsenter) by the data-plane
// integration test. Plain JavaScript so it runs with bare node.
//   tcp-listen PORT        accept one connection; pipe it to stdout / from stdin
//   tcp-connect HOST PORT  connect; pipe it to stdout / from stdin
//   tcp-sink PORT          accept one connection; at its end print {"bytes","sha256"}
//   udp-sink PORT          print each datagram as a hex line
//   udp-send HOST PORT     send each hex line of stdin as one datagram, then exit
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import readline from 'node:readline';

const [mode, a, b] = process.argv.slice(2);
const ready = () => process.stderr.write('ready\n');

if (mode === 'tcp-listen' || mode === 'tcp-sink') {
  const srv = net.createServer((sock) => {
    srv.close();
    if (mode === 'tcp-listen') {
      sock.pipe(process.stdout);
      process.stdin.pipe(sock);
      sock.on('close', () => process.exit(0));
    } else {
      const h = createHash('sha256');
      let n = 0;
      sock.on('data', (d) => {
        h.update(d);
        n += d.length;
      });
      sock.on('end', () => {
        process.stdout.write(`${JSON.stringify({ bytes: n, sha256: h.digest('hex') })}\n`);
        sock.end();
        process.exit(0);
      });
    }
  });
  srv.listen(Number(a), ready);
} else if (mode === 'tcp-connect') {
  const sock = net.connect(Number(b), a, ready);
  sock.pipe(process.stdout);
  process.stdin.pipe(sock);
  sock.on('error', (e) => {
    process.stderr.write(`error ${e.message}\n`);
    process.exit(3);
  });
  sock.on('close', () => process.exit(0));
} else if (mode === 'udp-sink') {
  const s = dgram.createSocket('udp4');
  s.on('message', (m) => process.stdout.write(`${m.toString('hex')}\n`));
  s.bind(Number(a), ready);
} else if (mode === 'udp-send') {
  const s = dgram.createSocket('udp4');
  const rl = readline.createInterface({ input: process.stdin });
  const pending = [];
  rl.on('line', (l) => {
    if (l) pending.push(new Promise((res) => s.send(Buffer.from(l, 'hex'), Number(b), a, () => res())));
  });
  rl.on('close', async () => {
    await Promise.all(pending);
    s.close();
  });
  ready();
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}

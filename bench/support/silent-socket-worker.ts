import { type Socket, connect } from 'node:net';

/**
 * A child process of bench:abuse that opens sockets to the MQTT port and never sends a byte
 * (one process has at most `ulimit -n` descriptors, so the bench spreads them over several).
 * argv: host port count localAddress concurrency. Reports { opened, closedByServer, failed }
 * to the parent on 'report', closes everything on 'stop'.
 */
const [host, port, count, localAddress, concurrency] = process.argv.slice(2);
const sockets = new Set<Socket>();
let opened = 0;
let closedByServer = 0;
let failed = 0;
let stopping = false;

function openOne(): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port), localAddress });
    socket.once('connect', () => {
      opened++;
      sockets.add(socket);
      resolve();
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      if (!sockets.delete(socket)) {
        failed++;
        return resolve();
      }
      if (!stopping) closedByServer++;
    });
  });
}

async function main(): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next++ < Number(count) && !stopping) await openOne();
  };
  await Promise.all(Array.from({ length: Number(concurrency) }, worker));
  process.send!({ type: 'opened', opened, failed });
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'report') process.send!({ type: 'report', opened, closedByServer, failed, open: sockets.size });
  if (message.type === 'stop') {
    stopping = true;
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }
});

void main();

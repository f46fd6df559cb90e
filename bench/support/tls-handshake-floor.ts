import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { type SecureContext, connect } from 'node:tls';

/** A bare Node TLS server in its own process: asks for a client certificate as the MQTTS listener does, answers one byte, reports its CPU. */
const SERVER = `
const tls = require('node:tls');
const server = tls.createServer({ cert: process.env.FLOOR_CERT, key: process.env.FLOOR_KEY, requestCert: true, rejectUnauthorized: false }, (socket) => {
  socket.getPeerX509Certificate();
  socket.end('x');
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.stdin.on('data', () => {
  const { user, system } = process.cpuUsage();
  console.log((user + system) / 1000);
});
`;

export interface HandshakeCost {
  handshakes: number;
  /** CPU per full handshake, ms: the connecting side (this process) and the accepting one. */
  clientMs: number;
  serverMs: number;
}

/**
 * What full TLS handshakes alone cost on this machine, with nothing of MQTT or EdgeFleet:
 * `contexts` (the devices' own) connect to a bare Node TLS server holding an ECDSA P-256
 * certificate (`certPem`/`keyPem`), `inFlight` at a time. The floor under a certificate
 * connect storm when the devices and the server share the machine's cores.
 */
export async function measureHandshakes(contexts: SecureContext[], certPem: string, keyPem: string, inFlight = 50): Promise<HandshakeCost> {
  const server = spawn(process.execPath, ['-e', SERVER], { env: { ...process.env, FLOOR_CERT: certPem, FLOOR_KEY: keyPem }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = lineReader(server.stdout!);
  try {
    const port = Number(await lines());
    const serverCpu = async () => {
      server.stdin!.write('\n');
      return Number(await lines());
    };
    const handshake = (secureContext: SecureContext) =>
      new Promise<void>((resolve, reject) => {
        // The bare server's certificate is not the fleet's: the chain is checked, its verdict not enforced.
        const socket = connect({ host: '127.0.0.1', port, secureContext, rejectUnauthorized: false });
        socket.once('error', reject);
        socket.once('data', () => {
          socket.destroy();
          resolve();
        });
      });
    await Promise.all(contexts.slice(0, inFlight).map(handshake)); // warm-up, not counted
    const serverBefore = await serverCpu();
    const clientBefore = process.cpuUsage();
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < contexts.length) await handshake(contexts[next++]);
      }),
    );
    const client = process.cpuUsage(clientBefore);
    const serverMs = (await serverCpu()) - serverBefore;
    return { handshakes: contexts.length, clientMs: (client.user + client.system) / 1000 / contexts.length, serverMs: serverMs / contexts.length };
  } finally {
    server.kill();
  }
}

/** Resolves to the stream's next line each call. */
function lineReader(stream: NodeJS.ReadableStream): () => Promise<string> {
  let buffered = '';
  stream.setEncoding('utf8');
  return async () => {
    while (!buffered.includes('\n')) {
      const [chunk] = (await once(stream, 'data')) as [string];
      buffered += chunk;
    }
    const end = buffered.indexOf('\n');
    const line = buffered.slice(0, end);
    buffered = buffered.slice(end + 1);
    return line;
  };
}

import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** Where a CONNECT to host:port really goes (a test maps web.whatsapp.com to the sandbox); undefined refuses it. */
export type Route = (host: string, port: number) => { host: string; port: number } | undefined;

/**
 * A SOCKS5 proxy on loopback that requires a username and password (RFC 1928 and 1929): enough of the protocol for
 * CONNECT, with counts of what it let through and what it refused, so tests can see traffic really went through it.
 */
export class SocksProxy {
  connections = 0;
  authFailures = 0;
  /** The hosts clients asked for, in order. */
  readonly requested: string[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(credentials: { username: string; password: string }, route: Route): Promise<SocksProxy> {
    let proxy: SocksProxy | undefined;
    const server = createServer((socket) => proxy?.serve(socket, credentials, route));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new SocksProxy(server, (server.address() as AddressInfo).port);
    return proxy;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(client: Socket, credentials: { username: string; password: string }, route: Route): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    let buffered = Buffer.alloc(0);
    let stage: 'greeting' | 'auth' | 'request' | 'piping' = 'greeting';
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        if (stage === 'greeting') {
          if (buffered.length < 2 || buffered.length < 2 + buffered[1]!) return;
          const methods = buffered.subarray(2, 2 + buffered[1]!);
          buffered = buffered.subarray(2 + buffered[1]!);
          if (!methods.includes(2)) return void client.end(Buffer.from([5, 0xff]));
          client.write(Buffer.from([5, 2]));
          stage = 'auth';
        } else if (stage === 'auth') {
          if (buffered.length < 2) return;
          const userLength = buffered[1]!;
          if (buffered.length < 3 + userLength) return;
          const passwordLength = buffered[2 + userLength]!;
          if (buffered.length < 3 + userLength + passwordLength) return;
          const username = buffered.subarray(2, 2 + userLength).toString();
          const password = buffered.subarray(3 + userLength, 3 + userLength + passwordLength).toString();
          buffered = buffered.subarray(3 + userLength + passwordLength);
          if (username !== credentials.username || password !== credentials.password) {
            this.authFailures += 1;
            return void client.end(Buffer.from([1, 1]));
          }
          client.write(Buffer.from([1, 0]));
          stage = 'request';
        } else if (stage === 'request') {
          const target = parseRequest(buffered);
          if (!target) return;
          buffered = buffered.subarray(target.length);
          stage = 'piping';
          client.off('data', onData);
          this.requested.push(target.host);
          const to = route(target.host, target.port);
          if (!to) return void client.end(Buffer.from([5, 2, 0, 1, 0, 0, 0, 0, 0, 0]));
          const upstream = connect(to.port, to.host, () => {
            this.connections += 1;
            client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
            if (buffered.length > 0) upstream.write(buffered);
            client.pipe(upstream).pipe(client);
          });
          this.sockets.add(upstream);
          upstream.on('close', () => {
            this.sockets.delete(upstream);
            client.destroy();
          });
          upstream.on('error', () => client.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])));
          return;
        } else {
          return;
        }
      }
    };
    client.on('data', onData);
  }
}

/** A CONNECT request: the host (an IPv4 address or a name) and port, and its length; undefined until complete. */
function parseRequest(data: Buffer): { host: string; port: number; length: number } | undefined {
  if (data.length < 5) return undefined;
  const type = data[3];
  if (type === 1) {
    if (data.length < 10) return undefined;
    return { host: [...data.subarray(4, 8)].join('.'), port: data.readUInt16BE(8), length: 10 };
  }
  if (type === 3) {
    const nameLength = data[4]!;
    if (data.length < 7 + nameLength) return undefined;
    return { host: data.subarray(5, 5 + nameLength).toString(), port: data.readUInt16BE(5 + nameLength), length: 7 + nameLength };
  }
  return { host: 'unsupported-address-type', port: 0, length: data.length };
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedDelivery {
  deliveryId: string;
  event: string;
  timestamp: string;
  signature: string | undefined;
  body: string;
  envelope: { id: string; event: string; session: string; payload: Record<string, unknown> };
  answeredWith: number | 'hang';
}

/** How the receiver answers the next request: a status code, or never. */
export type ReceiverMode = number | 'hang';

/** A webhook receiver on loopback that records every request and answers as the test tells it. */
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  mode: ReceiverMode = 200;
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();

  private constructor(public port: number) {}

  static async start(port = 0): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(port);
    await receiver.listen();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Accepts connections again on the same port. */
  async listen(): Promise<void> {
    const server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening: deliveries now get connection refused. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const response of this.hanging) response.destroy();
    this.hanging.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  of(event: string): ReceivedDelivery[] {
    return this.received.filter((delivery) => delivery.event === event);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const mode = this.mode;
      this.received.push({
        deliveryId: String(request.headers['x-wamux-delivery']),
        event: String(request.headers['x-wamux-event']),
        timestamp: String(request.headers['x-wamux-timestamp']),
        signature: request.headers['x-wamux-signature'] as string | undefined,
        body,
        envelope: JSON.parse(body) as ReceivedDelivery['envelope'],
        answeredWith: mode,
      });
      if (mode === 'hang') {
        this.hanging.add(response);
        return;
      }
      response.writeHead(mode, mode === 429 ? { 'retry-after': '1' } : {}).end();
    });
  }
}

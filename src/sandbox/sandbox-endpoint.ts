import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError, describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { SANDBOX_HOST, type SandboxCertificate } from './sandbox-certificate.js';
import { PAGE_PATHS, UPLOAD_PATH } from './sandbox-protocol.js';
import { MEDIA_PATH_PREFIX } from './sandbox-media-store.js';

const MAX_BODY_BYTES = 1024 * 1024;
/** As large as --max-media-bytes may be. */
/** WhatsApp's own ceiling for a document. */
const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
const KEEPALIVE_MS = 15_000;

/** One server-sent-events stream to one page. */
export class SseStream {
  private open = true;
  private readonly closeListeners: Array<() => void> = [];
  private readonly keepalive: NodeJS.Timeout;

  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write('retry: 1000\n\n');
    this.keepalive = setInterval(() => this.write(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
    res.on('close', () => this.finish());
  }

  get isOpen(): boolean {
    return this.open;
  }

  send(event: string, data: unknown): boolean {
    return this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  onClose(listener: () => void): void {
    if (this.open) this.closeListeners.push(listener);
    else listener();
  }

  close(): void {
    if (!this.open) return;
    this.res.end();
    this.finish();
  }

  private write(chunk: string): boolean {
    if (!this.open) return false;
    this.res.write(chunk);
    return true;
  }

  private finish(): void {
    if (!this.open) return;
    this.open = false;
    clearInterval(this.keepalive);
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}

/** What a session does with the requests of its page. */
export interface SandboxPageHandler {
  /** The HTML served for https://web.whatsapp.com/ (any query). */
  pageHtml(): string;
  /** A page opened its event stream. Throwing an AppError refuses it. */
  openStream(pageId: string, stream: SseStream): void;
  /** A JSON POST from the page (path is one of PAGE_PATHS). Returns the JSON reply. */
  handlePost(path: string, body: unknown): Promise<unknown>;
  /** Media bytes a page uploaded (POST /sandbox/upload?page=&type=). Returns the JSON reply. */
  handleUpload(pageId: string, mediaType: string, bytes: Buffer): Promise<unknown>;
  /** Whether this page may upload (connected and linked): checked before a byte of the body is read. */
  acceptsUpload(pageId: string): boolean;
  /** The bytes at a media server path (GET /sandbox/media/...), or undefined when there are none (404). */
  mediaAt(path: string): Buffer | undefined;
}

/** The HTTPS listener of one session on 127.0.0.1:<free port>, posing as web.whatsapp.com. */
export class SandboxEndpoint {
  private constructor(
    private readonly server: https.Server,
    readonly port: number,
  ) {}

  static async start(options: {
    certificate: SandboxCertificate;
    handler: SandboxPageHandler;
    logger: Logger;
  }): Promise<SandboxEndpoint> {
    const { handler, logger } = options;
    const server = https.createServer({ key: options.certificate.key, cert: options.certificate.cert }, (req, res) => {
      route(handler, req, res).catch((error: unknown) => {
        logger.warn('sandbox request failed', { url: req.url, error: describeError(error) });
        if (!res.headersSent) sendJson(res, 500, { error: 'INTERNAL', message: describeError(error) });
        else res.end();
      });
    });
    server.on('tlsClientError', (error) => logger.debug('sandbox TLS error', { error: describeError(error) }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    return new SandboxEndpoint(server, port);
  }

  /**
   * Flags that send web.whatsapp.com to this endpoint and resolve no other name. Loopback stays reachable: a
   * session's proxy forwarder listens there (behind a proxy, web.whatsapp.com is the proxy's to reach).
   */
  chromiumArgs(): string[] {
    return [`--host-resolver-rules=MAP ${SANDBOX_HOST} 127.0.0.1:${this.port}, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1`, '--ignore-certificate-errors'];
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

async function route(handler: SandboxPageHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', `https://${SANDBOX_HOST}`);
  const method = req.method ?? 'GET';
  if (method === 'GET' && url.pathname === '/') {
    const html = handler.pageHtml();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
    return;
  }
  if (method === 'GET' && url.pathname === PAGE_PATHS.events) {
    const pageId = url.searchParams.get('page') ?? '';
    if (!/^[0-9a-f]{8,64}$/.test(pageId)) return sendJson(res, 400, { error: 'INVALID_INPUT', message: 'bad page id' });
    req.socket.setTimeout(0);
    const stream = new SseStream(res);
    try {
      handler.openStream(pageId, stream);
    } catch (error) {
      stream.close();
      throw error;
    }
    return;
  }
  if ((method === 'GET' || method === 'HEAD') && url.pathname.startsWith(MEDIA_PATH_PREFIX)) {
    const bytes = handler.mediaAt(url.pathname);
    if (!bytes) return sendJson(res, 404, { error: 'NOT_FOUND', message: 'no such media (expired?)' });
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length, 'cache-control': 'no-store' });
    res.end(method === 'HEAD' ? undefined : bytes);
    return;
  }
  if (method === 'POST' && url.pathname === UPLOAD_PATH) {
    // the port is on loopback, but any local process can reach it: nothing is buffered for a stranger
    if (!handler.acceptsUpload(url.searchParams.get('page') ?? '')) {
      res.setHeader('connection', 'close');
      return sendJson(res, 403, { error: 'NOT_LINKED', message: 'only a linked page of this session may upload' });
    }
    let bytes: Buffer;
    try {
      bytes = await readBody(req, MAX_UPLOAD_BYTES);
    } catch (error) {
      return sendJson(res, 413, { error: 'TOO_LARGE', message: describeError(error) });
    }
    try {
      sendJson(res, 200, await handler.handleUpload(url.searchParams.get('page') ?? '', url.searchParams.get('type') ?? '', bytes));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      sendJson(res, error.status, { error: error.code, message: error.message });
    }
    return;
  }
  if (method === 'POST' && (Object.values(PAGE_PATHS) as string[]).includes(url.pathname)) {
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, MAX_BODY_BYTES)).toString('utf8'));
    } catch (error) {
      return sendJson(res, 400, { error: 'INVALID_INPUT', message: describeError(error) });
    }
    try {
      sendJson(res, 200, (await handler.handlePost(url.pathname, body)) ?? {});
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      sendJson(res, error.status, { error: error.code, message: error.message });
    }
    return;
  }
  if (url.pathname === '/favicon.ico') {
    res.writeHead(204, { 'cache-control': 'no-store' });
    res.end();
    return;
  }
  sendJson(res, 404, { error: 'NOT_FOUND', message: `${method} ${url.pathname} is not part of the sandbox` });
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

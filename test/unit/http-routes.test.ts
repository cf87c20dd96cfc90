/**
 * The router table itself, read from the Express app: every route answers 401 without the key (except the
 * public ones), and every route is in the OpenAPI document and the other way round.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { DEFAULT_FLAG_POLICY } from '../../src/browser/chromium-flags.js';
import { createSilentLogger } from '../../src/shared/logger.js';
import { SessionEvents } from '../../src/sessions/session-events.js';
import { SessionMaintenance } from '../../src/sessions/session-maintenance.js';
import { SessionManager } from '../../src/sessions/session-manager.js';
import { Hibernation } from '../../src/sessions/hibernation.js';
import { realTimers } from '../../src/shared/timers.js';
import { SessionChannels } from '../../src/events/session-channels.js';
import { EventStream } from '../../src/events/event-stream.js';
import { createWebhookPolicy } from '../../src/events/webhooks/webhook-url.js';
import { singleProcessView } from '../../src/cluster/single-process-view.js';
import { SandboxHub } from '../../src/sandbox/sandbox-hub.js';
import { createApp } from '../../src/http/app.js';
import { OPERATIONS } from '../../src/http/openapi.js';
import { ServerMetrics } from '../../src/metrics/server-metrics.js';
import { ApiKeys } from '../../src/auth/api-keys.js';
import { FileApiKeyStore } from '../../src/storage/file-api-key-store.js';
import { FakeProcessTable } from '../fakes/fake-process-table.js';
import { FakeWaClientFactory } from '../fakes/fake-wa-client.js';
import { InMemorySessionStore } from '../fakes/in-memory-session-store.js';

const API_KEY = 'router-table-key-1';
/** Answer without a key, by design: liveness probes and the API's own documentation. */
const PUBLIC = new Set(['GET /health', 'GET /ready', 'GET /info', 'GET /openapi.json', 'GET /']);
/** Pages for people, not API operations: the dashboard's shell (its data comes through the API). */
const PAGES = new Set(['/openapi.json', '/']);

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: RouteLayer[] };
  rawPath?: string;
}

/** Method and path of every route registered on the app, mounted routers included. */
function routesOf(app: Express): { method: string; path: string }[] {
  const routes: { method: string; path: string }[] = [];
  const walk = (stack: RouteLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') routes.push({ method: method.toUpperCase(), path: prefix + layer.route.path });
        }
      } else if (layer.handle.stack) {
        walk(layer.handle.stack, prefix + (layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : ''));
      }
    }
  };
  walk((app as unknown as { router: { stack: RouteLayer[] } }).router.stack, '');
  return routes;
}

let server: Server;
let baseUrl: string;
let app: Express;
let hub: SandboxHub;
let root: string;
let channels: SessionChannels;
let stream: EventStream;
let manager: SessionManager;
let apiKeys: ApiKeys;
/** Holds a delete between closing the session's log and removing its folder, while a test is running. */
let deleteGate: Promise<void> | undefined;

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'wamux-routes-'));
  const logger = createSilentLogger();
  const store = new InMemorySessionStore(root);
  const processes = new FakeProcessTable();
  manager = new SessionManager({
    store,
    processes,
    hostname: 'testhost',
    logger,
    now: () => Date.now(),
    clientFactory: new FakeWaClientFactory().create,
    events: new SessionEvents(),
    settings: { serverChromiumArgs: [], flagPolicy: DEFAULT_FLAG_POLICY, stopDeadlineMs: 1_000, stableAfterMs: 60_000 },
    managerSettings: { maxSessions: 10, sandboxByDefault: true, restart: { maxAttempts: 3, windowMs: 120_000, cooldownMs: 0 }, lockTimeoutMs: 5_000 },
    beforeRemove: async (sessionId) => {
      await channels.close(sessionId);
      await rm(path.join(root, sessionId), { recursive: true, force: true });
      await deleteGate;
    },
  });
  const webhookPolicy = createWebhookPolicy({ allowHosts: [] });
  channels = new SessionChannels({
    folderOf: (sessionId) => path.join(root, sessionId),
    assertUsable: (sessionId) => manager.assertUsableLog(sessionId),
    targetsOf: () => new Map(),
    policy: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100, timeoutMs: 1_000 },
    outboundPolicy: webhookPolicy,
    logger,
  });
  stream = new EventStream(logger);
  hub = await SandboxHub.create({ logger });
  apiKeys = new ApiKeys(new FileApiKeyStore(root));
  await apiKeys.load();
  const hibernation = new Hibernation({
    host: manager,
    events: new SessionEvents(),
    timers: realTimers,
    logger,
    settings: { defaultHibernateAfterMinutes: undefined, scheduledWakeConcurrency: 2 },
  });
  app = createApp({
    manager,
    hibernation,
    maintenance: new SessionMaintenance(manager, { store, processes, hostname: 'testhost', logger, now: () => Date.now() }),
    channels,
    stream,
    webhookPolicy,
    sandbox: hub,
    logger,
    info: { version: 'test', whatsappWebJs: 'test', startedAt: Date.now(), sandboxByDefault: false },
    apiKey: API_KEY,
    apiKeys,
    rateLimit: { max: 10_000, windowMs: 10_000 },
    trustProxy: false,
    readiness: async () => [],
    metrics: new ServerMetrics({ sessions: () => manager.all().map((session) => ({ id: session.id, status: session.status.status })), probe: () => ({ at: Date.now(), browser: { processes: 5, mainAlive: true, pssKib: 1024, pssAnonKib: 512 }, responsive: true }), recycles: () => 0, webhookQueue: () => undefined }),
    metricsPublic: false,
    accessLog: false,
    dashboard: true,
    cluster: { view: async () => singleProcessView('testhost') },
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server?.close();
  server?.closeAllConnections();
  stream?.close();
  await channels?.closeAll();
  await hub?.close();
  await rm(root, { recursive: true, force: true });
});

test('every route but the public ones answers 401 JSON without the key, and with a wrong key', async () => {
  const routes = routesOf(app);
  assert.ok(routes.length >= 25, `the router table was read: ${routes.length} routes`);
  const guarded = routes.filter((route) => !PUBLIC.has(`${route.method} ${route.path}`));
  for (const route of guarded) {
    const url = baseUrl + route.path.replace(':deliveryId', '00000000-0000-4000-8000-000000000000').replace(':id', 'desk');
    for (const headers of [{}, { 'x-api-key': 'wrong-key-00000000' }] as Record<string, string>[]) {
      const response = await fetch(url, {
        method: route.method,
        headers: { 'content-type': 'application/json', ...headers },
        body: route.method === 'GET' ? undefined : '{}',
      });
      assert.equal(response.status, 401, `${route.method} ${route.path} ${JSON.stringify(headers)}`);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED', `${route.method} ${route.path}`);
    }
  }
  for (const key of PUBLIC) {
    const [method, route] = key.split(' ') as [string, string];
    assert.equal((await fetch(baseUrl + route, { method })).status, 200, key);
  }
});

test('the OpenAPI document lists exactly the routes the server answers', () => {
  const served = new Set(
    routesOf(app)
      .filter((route) => !PAGES.has(route.path))
      .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`),
  );
  const documented = new Set(OPERATIONS.map((operation) => `${operation.method.toUpperCase()} ${operation.path}`));
  assert.deepEqual([...served].filter((route) => !documented.has(route)), [], 'served but not documented');
  assert.deepEqual([...documented].filter((route) => !served.has(route)), [], 'documented but not served');
});

test('requests are measured by route pattern and status: no session, chat or key from the URL in a label', async () => {
  const headers = { 'x-api-key': API_KEY };
  assert.equal((await fetch(`${baseUrl}/api/v1/sessions/nosuch/chats/15550001111@c.us/messages?apiKey=leaked-key-123`, { headers })).status, 404);
  assert.equal((await fetch(`${baseUrl}/no/such/path`, { headers })).status, 404);
  const scrape = await fetch(`${baseUrl}/metrics`, { headers });
  assert.equal(scrape.status, 200);
  assert.match(scrape.headers.get('content-type') ?? '', /^text\/plain/);
  assert.match(scrape.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, 'every answer carries a request id');
  const body = await scrape.text();
  assert.match(body, /wamux_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/sessions\/:id\/chats\/:chatId\/messages",status="404"\} 1/);
  assert.match(body, /wamux_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} 1/);
  assert.doesNotMatch(body, /nosuch|15550001111|leaked-key|no\/such/);
  const echoed = await fetch(`${baseUrl}/health`, { headers: { 'x-request-id': 'edge-42.a' } });
  assert.equal(echoed.headers.get('x-request-id'), 'edge-42.a', "a proxy's plain request id is kept");
  const replaced = await fetch(`${baseUrl}/health`, { headers: { 'x-request-id': 'bad id\twith spaces' } });
  assert.notEqual(replaced.headers.get('x-request-id'), 'bad id\twith spaces');
});

test('reads and a webhook change during a delete answer 404 and bring nothing of the session back', async () => {
  const headers = { 'x-api-key': API_KEY, 'content-type': 'application/json' };
  await manager.create('leaving', {}, { start: false });
  await mkdir(path.join(root, 'leaving'), { recursive: true });
  assert.equal((await fetch(`${baseUrl}/api/v1/sessions/leaving/messages`, { headers })).status, 200, 'the log opens while it exists');
  let openGate: () => void = () => {};
  deleteGate = new Promise((resolve) => {
    openGate = resolve;
  });
  const deleting = fetch(`${baseUrl}/api/v1/sessions/leaving`, { method: 'DELETE', headers });
  // wait until the delete has removed the folder and is held before answering
  const deadline = Date.now() + 5_000;
  while (existsSync(path.join(root, 'leaving'))) {
    assert.ok(Date.now() < deadline, 'the delete never got to removing the folder');
    await new Promise((resolve) => setImmediate(resolve));
  }
  // the routes that read the session's log (its config, in memory, stays readable until the delete answers)
  for (const route of ['messages', 'events', 'webhooks/deliveries']) {
    const response = await fetch(`${baseUrl}/api/v1/sessions/leaving/${route}`, { headers });
    assert.equal(response.status, 404, route);
  }
  const stream = await fetch(`${baseUrl}/api/v1/events/stream?session=leaving`, { headers });
  assert.equal(stream.status, 404, 'the stream');
  const put = fetch(`${baseUrl}/api/v1/sessions/leaving/webhooks`, { method: 'PUT', headers, body: JSON.stringify([{ url: 'https://93.184.215.14/wa' }]) });
  openGate();
  assert.equal((await deleting).status, 200);
  assert.equal((await put).status, 404, 'a webhook change queued behind the delete');
  deleteGate = undefined;
  assert.equal(existsSync(path.join(root, 'leaving')), false, 'nothing re-created the folder or its log');
  assert.equal(manager.has('leaving'), false);
});

test('a scoped key sees only its sessions (others are 404), does only what its roles allow, and dies when revoked', async () => {
  const admin = { 'x-api-key': API_KEY, 'content-type': 'application/json' };
  await manager.create('scoped-mine', { webhookUrl: 'https://hooks.example.com/services/T0/B0/secret-token?sig=abc' }, { start: false });
  await manager.create('scoped-theirs', {}, { start: false });
  const created = await fetch(`${baseUrl}/api/v1/keys`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ name: 'crm reader', sessions: ['scoped-mine', 'scoped-later'], roles: ['read'] }),
  });
  assert.equal(created.status, 201);
  const { id, key } = (await created.json()) as { id: string; key: string };
  assert.match(key, /^wamux_[0-9a-f]{16}_/);
  const listed = (await (await fetch(`${baseUrl}/api/v1/keys`, { headers: admin })).json()) as { keys: Record<string, unknown>[] };
  assert.deepEqual(listed.keys.find((entry) => entry.id === id), {
    id, name: 'crm reader', sessions: ['scoped-later', 'scoped-mine'], roles: ['read'], createdAt: listed.keys.find((entry) => entry.id === id)?.createdAt,
  });
  const stored = await readFile(path.join(root, '.api-keys.json'), 'utf8');
  assert.ok(!stored.includes(key.slice(24)), 'the key itself is not stored');
  assert.equal((await stat(path.join(root, '.api-keys.json'))).mode & 0o777, 0o600);

  const as = (route: string, method = 'GET', body?: unknown) =>
    fetch(`${baseUrl}${route}`, { method, headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const sessions = (await (await as('/api/v1/sessions')).json()) as { sessions: { id: string }[] };
  assert.deepEqual(sessions.sessions.map((session) => session.id), ['scoped-mine']);
  const mine = await as('/api/v1/sessions/scoped-mine');
  assert.equal(mine.status, 200);
  const shown = await mine.text();
  assert.doesNotMatch(shown, /secret-token|sig=abc/, 'webhook URLs only as far as their origin');
  assert.match(shown, /"webhookUrl":"https:\/\/hooks\.example\.com"/);
  assert.equal((await as('/api/v1/sessions/scoped-mine/qr')).status, 403, 'a QR code links a phone: control only');
  assert.equal((await as('/api/v1/sessions/scoped-mine/webhooks')).status, 403);
  const hidden = await as('/api/v1/sessions/scoped-theirs');
  assert.equal(hidden.status, 404);
  assert.equal(((await hidden.json()) as { error: { code: string } }).error.code, 'SESSION_NOT_FOUND');
  assert.equal((await as('/api/v1/sessions/scoped-theirs/stop', 'POST')).status, 404, 'not even its existence leaks');
  assert.equal((await as('/api/v1/sessions/scoped-mine/stop', 'POST')).status, 403, 'read only');
  assert.equal((await as('/api/v1/sessions/scoped-mine/send-text', 'POST', { chatId: '15550001111', content: 'x' })).status, 403);
  assert.equal((await as('/api/v1/keys')).status, 403, "the server's key only");
  assert.equal((await as('/api/v1/maintenance/terminate-inactive', 'POST', { mode: 'stop', dryRun: true })).status, 403);
  assert.equal((await fetch(`${baseUrl}/api/v1/events/stream?session=scoped-theirs&apiKey=${key}`)).status, 404);
  const metrics = await (await as('/metrics')).text();
  assert.match(metrics, /session="scoped-mine"/);
  assert.doesNotMatch(metrics, /session="scoped-theirs"|^process_|^wamux_sessions\{/m, 'only its own sessions\' series');

  const controller = await fetch(`${baseUrl}/api/v1/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'ops', sessions: ['scoped-later'], roles: ['control'] }) });
  const control = ((await controller.json()) as { key: string }).key;
  const create = (sessionId: string) =>
    fetch(`${baseUrl}/api/v1/sessions`, { method: 'POST', headers: { 'x-api-key': control, 'content-type': 'application/json' }, body: JSON.stringify({ sessionId, start: false }) });
  assert.equal((await create('scoped-elsewhere')).status, 403);
  const withProxy = await fetch(`${baseUrl}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'x-api-key': control, 'content-type': 'application/json' },
    body: JSON.stringify({ sessionId: 'scoped-later', start: false, config: { proxyServerCredentials: { address: 'http://10.0.0.1:22' } } }),
  });
  assert.equal(withProxy.status, 403, "a proxy is the server key's to set");
  assert.equal((await create('scoped-later')).status, 201);

  await mkdir(path.join(root, 'scoped-mine'), { recursive: true }); // the fake store makes no folders; the log lives in one
  const live = await fetch(`${baseUrl}/api/v1/events/stream?session=scoped-mine&apiKey=${key}`);
  assert.equal(live.status, 200);
  const reader = live.body!.getReader();
  await reader.read(); // ': connected'
  assert.equal((await fetch(`${baseUrl}/api/v1/keys/${id}`, { method: 'DELETE', headers: admin })).status, 200);
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    /* drain until the server ends the stream */
  }
  assert.equal((await as('/api/v1/sessions')).status, 401, 'refused once revoked');
  assert.equal((await fetch(`${baseUrl}/api/v1/keys/${id}`, { method: 'DELETE', headers: admin })).status, 404);
  assert.equal((await as('/api/v1/sessions', 'GET')).status, 401);
});

test('PATCH changes the config, never shows the proxy password, and refuses what it cannot change', async () => {
  const headers = { 'x-api-key': API_KEY, 'content-type': 'application/json' };
  await manager.create('patched', {}, { start: false });
  const patch = (body: unknown, sessionId = 'patched') => fetch(`${baseUrl}/api/v1/sessions/${sessionId}`, { method: 'PATCH', headers, body: JSON.stringify(body) });
  const changed = await patch({ restartOnCrash: false, proxyServerCredentials: { protocol: 'http', address: 'proxy.lan:3128', username: 'u', password: 'secret-pw-1' } });
  assert.equal(changed.status, 200);
  const text = await changed.text();
  assert.doesNotMatch(text, /secret-pw-1/);
  const body = JSON.parse(text) as { changed: string[]; appliesAtNextStart: string[]; config: { restartOnCrash: boolean; proxyServerCredentials: { passwordSet: boolean } } };
  assert.deepEqual(body.changed.sort(), ['proxyServerCredentials', 'restartOnCrash']);
  assert.deepEqual(body.appliesAtNextStart, [], 'no browser runs: nothing waits for a start');
  assert.equal(body.config.restartOnCrash, false);
  assert.equal(body.config.proxyServerCredentials.passwordSet, true);
  assert.equal((await patch({ sandbox: false })).status, 400);
  assert.equal((await patch({})).status, 400);
  assert.equal((await patch({ restartOnCrash: 'no' })).status, 400);
  assert.equal((await patch({ restartOnCrash: true }, 'nobody-here')).status, 404);
});

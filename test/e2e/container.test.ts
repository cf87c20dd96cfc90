/**
 * The container image, built from the Dockerfile and run with podman as a user would (its storage in a temporary
 * folder; the Dockerfile's base image made locally, since no registry can be pulled from here): a user without
 * privileges, tini as PID 1, a health check, no build tools; no start without API_KEY; a sandbox session that
 * links and sends inside it, and comes back after the container restarts on the same volume.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Podman } from '../support/podman.js';
import { pollUntil } from './harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const IMAGE = 'localhost/wamux-test:latest';
const CONTAINER = 'wamux-e2e';
const API_KEY = 'container-key-0901';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the container image (podman)', { timeout: 1_500_000 }, () => {
  let podman: Podman;
  let base = '';
  const api = async <T = Record<string, unknown>>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { 'x-api-key': API_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  const statusOf = async (sessionId: string) => (await api<{ status?: string }>('GET', `/api/v1/sessions/${sessionId}`).catch(() => ({ body: {} as { status?: string } }))).body.status;

  before(async () => {
    podman = await Podman.create();
    await podman.makeNodeBaseImage(path.join(podman.root, 'debootstrap.log'));
    // docker format: the OCI format has no HEALTHCHECK
    await podman.podmanLogged(['build', '--pull=never', '--format', 'docker', '-t', IMAGE, ROOT], path.join(podman.root, 'build.log'));
  });
  after(async () => {
    await podman?.close();
  });

  test('runs as a user without privileges under tini, and without build tools', async (t) => {
    const [image] = JSON.parse(await podman.podman(['image', 'inspect', IMAGE])) as {
      Size: number;
      Config: { User: string; Entrypoint: string[]; Volumes?: Record<string, unknown> };
    }[];
    const config = image!.Config;
    t.diagnostic(`image size ${Math.round(image!.Size / 1e6)} MB`);
    assert.equal(config.User, 'wamux');
    assert.deepEqual(config.Entrypoint, ['/usr/bin/tini', '--']);
    assert.ok(config.Volumes && '/app/sessions' in config.Volumes);
    const tools = await podman.podman(['run', '--rm', '--entrypoint', 'sh', IMAGE, '-c', 'for tool in g++ gcc make python3; do command -v $tool; done; true']);
    assert.equal(tools.trim(), '', 'no compiler or build tool in the final image');
  });

  test('without API_KEY it refuses to listen on all interfaces, and says why', async () => {
    const refused = await podman.podman(['run', '--rm', IMAGE]).then(
      () => undefined,
      (error: Error & { code?: number; stderr?: string }) => error,
    );
    assert.ok(refused, 'the container exited with an error');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr ?? '', /Refusing to listen on 0\.0\.0\.0 without an API key/);
  });

  test('a sandbox session links and sends inside it, and comes back after a restart on the same volume', async (t) => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await podman.podman([
      'run', '--detach', '--name', CONTAINER,
      '--env', `API_KEY=${API_KEY}`, '--env', 'SANDBOX=true',
      '--publish', `127.0.0.1:${port}:8080`, '--volume', 'wamux-e2e-sessions:/app/sessions', IMAGE,
    ]);
    await pollUntil(async () => (await fetch(`${base}/health`).catch(() => undefined))?.status === 200, { what: 'the container to answer /health', timeoutMs: 60_000 });
    await pollUntil(async () => (await fetch(`${base}/ready`)).status === 200, { what: 'the container to be ready' });
    assert.match(await podman.podman(['exec', CONTAINER, 'cat', '/proc/1/cmdline']), /^\/usr\/bin\/tini\0/);
    assert.equal((await podman.podman(['exec', CONTAINER, 'id', '-u'])).trim(), '10001');

    const created = await api('POST', '/api/v1/sessions', { sessionId: 'boxed', waitForQR: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await api('POST', '/api/v1/sessions/boxed/sandbox/scan', { phone: '15550000901' })).status, 200);
    await pollUntil(async () => (await statusOf('boxed')) === 'WORKING', { what: 'boxed WORKING', timeoutMs: 90_000 });
    const sent = await api('POST', '/api/v1/sessions/boxed/send-text', { chatId: '15557770901', content: 'from the container' });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    // the image's HEALTHCHECK (on /health) is the container's, and it passes
    assert.match(await podman.podman(['inspect', CONTAINER, '--format', '{{json .Config.Healthcheck}}']), /\/health/);
    await podman.podman(['healthcheck', 'run', CONTAINER]);

    // SIGTERM (what docker stop sends): tini passes it on, wamux closes its browsers and exits 0 within the grace
    // period (past it podman would SIGKILL, and the exit code would be 137)
    const stopStarted = Date.now();
    await podman.podman(['stop', '--time', '30', CONTAINER]);
    t.diagnostic(`stopped in ${((Date.now() - stopStarted) / 1000).toFixed(1)} s`);
    assert.equal((await podman.podman(['inspect', CONTAINER, '--format', '{{.State.ExitCode}}'])).trim(), '0');
    await podman.podman(['start', CONTAINER]);
    await pollUntil(async () => (await statusOf('boxed')) === 'WORKING', { what: 'boxed WORKING again, without a scan', timeoutMs: 120_000 });
    const top = await podman.podman(['top', CONTAINER, 'args']);
    assert.match(top, /chromium/, 'its browser runs inside the container');
    // every process's state, from inside: tini reaps what exits, so none is a zombie
    const states = await podman.podman(['exec', CONTAINER, 'sh', '-c', 'for f in /proc/[0-9]*/stat; do cat "$f" 2>/dev/null; echo; done']);
    const zombies = states.split('\n').filter((line) => / Z /.test(line.slice(line.lastIndexOf(')'))));
    assert.deepEqual(zombies, [], 'no zombie in the container');

    await podman.podman(['rm', '--force', '--time', '10', CONTAINER]);
    assert.equal((await podman.podman(['ps', '--all', '--quiet'])).trim(), '', 'nothing left running');
  });
});

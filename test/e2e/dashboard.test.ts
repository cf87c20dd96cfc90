/**
 * The dashboard in a real headless Chromium against a real server with sandbox sessions, used as a person would:
 * sign in, create a session from the form, watch its QR rotate, scan it from the phone panel, chat, follow webhook
 * deliveries, delete. With SCREENSHOTS_DIR set, the screenshots go there (npm run screenshots: docs/screenshots).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ElementHandle, Page } from 'puppeteer-core';
import { ServerProcess, pollUntil, sessionProcesses, waitForStatus } from './harness.js';
import { WebhookReceiver } from './receiver.js';
import { TestBrowser } from '../support/browser.js';
import { makePng } from '../support/png.js';

const API_KEY = 'dashboard-test-key-0123456789';
const SESSION = 'desk1';
const CONTACT = '15557770000';

type TestPage = Page & { errors: string[] };

/** Waits for an element whose text contains `text` (inside `scope`, a CSS selector). */
async function waitForText(page: Page, scope: string, text: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction(
    (selector, wanted) => [...document.querySelectorAll(selector)].some((element) => element.textContent?.includes(wanted)),
    { timeout },
    scope,
    text,
  );
}

async function textOf(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (element) => element.textContent?.trim() ?? '');
}

/** The button inside `scope` whose text is `label`. */
async function button(page: Page, scope: string, label: string): Promise<ElementHandle<HTMLButtonElement>> {
  const handle = await page.waitForFunction(
    (selector, wanted) => [...document.querySelectorAll<HTMLButtonElement>(`${selector} button`)].find((element) => element.textContent?.trim() === wanted && !element.disabled),
    { timeout: 20_000 },
    scope,
    label,
  );
  return handle as ElementHandle<HTMLButtonElement>;
}

/** Signs a fresh tab in (sessionStorage is per tab, as a person opening a second tab would see). */
async function signIn(page: Page, base: string, key: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.waitForSelector('#api-key');
  await page.type('#api-key', key);
  await page.click('form button[type=submit]');
  await page.waitForSelector('.overview');
}

async function typeInto(page: Page, selector: string, text: string): Promise<void> {
  await page.click(selector, { count: 3 });
  await page.keyboard.press('Backspace');
  await page.type(selector, text);
}

describe('dashboard in a real browser', () => {
  let server: ServerProcess;
  let receiver: WebhookReceiver;
  let browser: TestBrowser;
  let page: TestPage;
  let base: string;
  let shots: string;
  let imagePath: string;
  const keepShots = process.env.SCREENSHOTS_DIR !== undefined;

  const screenshot = async (target: Page, name: string) => {
    const file = path.join(shots, `${name}.png`);
    await target.screenshot({ path: file as `${string}.png`, fullPage: false });
    assert.ok((await stat(file)).size > 5_000, `${name}.png has content`);
  };

  before(async () => {
    shots = process.env.SCREENSHOTS_DIR ? path.resolve(process.env.SCREENSHOTS_DIR) : await mkdtemp(path.join(os.tmpdir(), 'wamux-shots-'));
    await mkdir(shots, { recursive: true });
    imagePath = path.join(await mkdtemp(path.join(os.tmpdir(), 'wamux-img-')), 'sunset.png');
    await writeFile(imagePath, makePng(96, 64, (x, y) => [255 - y * 2, 120 + x, 60 + y * 2]));
    receiver = await WebhookReceiver.start();
    receiver.mode = 500;
    // a failed delivery is tried again 5-10 minutes later at the earliest: the Retry button, not the schedule, delivers it.
    // Not a sandbox server by default: choosing Sandbox in the form is what makes the session one.
    server = await ServerProcess.start({
      env: { API_KEY, WEBHOOK_ALLOW_HOSTS: '127.0.0.1', WEBHOOK_BASE_DELAY_MS: '600000', WEBHOOK_MAX_DELAY_MS: '600000' },
      args: ['--sandbox=false'],
    });
    base = await server.baseUrl;
    browser = await TestBrowser.launch();
    page = await browser.page(1280);
  });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      try {
        await server?.cleanup();
      } finally {
        await receiver?.down();
        if (!keepShots && shots) await rm(shots, { recursive: true, force: true });
        if (imagePath) await rm(path.dirname(imagePath), { recursive: true, force: true });
      }
    }
    assert.deepEqual(page?.errors ?? [], [], 'the page had no error');
  });

  it('is served with a policy that runs only its own scripts', async () => {
    const answer = await fetch(`${base}/`);
    assert.equal(answer.status, 200);
    const policy = answer.headers.get('content-security-policy') ?? '';
    assert.match(policy, /script-src 'self' 'sha256-/);
    assert.match(policy, /frame-ancestors 'none'/);
    // the libraries come from the server, not from a CDN
    assert.equal((await fetch(`${base}/dashboard/vendor/preact/dist/preact.module.js`)).status, 200);
    assert.equal((await fetch(`${base}/dashboard/vendor/preact/package.json`)).status, 404);
  });

  it('a wrong key shows the sign-in error', async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector('#api-key');
    await screenshot(page, 'sign-in-1280');
    await page.type('#api-key', 'not-the-key-at-all');
    await page.click('form button[type=submit]');
    await page.waitForSelector('#sign-in-error');
    assert.match(await textOf(page, '#sign-in-error'), /refused this key/);
  });

  it('signs in with the key and shows the empty overview', async () => {
    await typeInto(page, '#api-key', API_KEY);
    await page.click('form button[type=submit]');
    await page.waitForSelector('.overview .empty');
    await page.waitForSelector('[data-testid=stream-state].stream-live');
    // the key stays in this tab only
    assert.equal(await page.evaluate(() => sessionStorage.getItem('wamux.apiKey')), API_KEY);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
  });

  it("the form shows the server's own message next to a wrong field", async () => {
    const config = { sandbox: true, qrTimeout: 2 };
    const direct = await server.api<{ error: { details: { issues: { path: string; message: string }[] } } }>('POST', '/api/v1/sessions', { sessionId: SESSION, config });
    assert.equal(direct.status, 400);
    const expected = direct.body.error.details.issues.find((issue) => issue.path === 'config.qrTimeout')?.message;
    assert.ok(expected);

    await page.goto(`${base}/#/new`);
    await page.waitForSelector('.session-form');
    assert.equal(await page.$eval('input[name=sandbox][value=sandbox]', (radio) => (radio as HTMLInputElement).checked), false, 'this server does not default to the sandbox');
    await page.type('input[name=sessionId]', SESSION);
    await page.click('input[name=sandbox][value=sandbox]');
    await page.type('input[name=qrTimeout]', '2');
    await page.click('.session-form button[type=submit]');
    await page.waitForSelector('[data-field=qrTimeout] .field-error');
    assert.equal(await textOf(page, '[data-field=qrTimeout] .field-error'), expected);
    assert.equal((await server.api('GET', `/api/v1/sessions/${SESSION}`)).status, 404, 'nothing was created');
  });

  let firstQr = '';
  it('creates a sandbox session with a webhook from the form; its QR appears and rotates in place', async () => {
    await typeInto(page, 'input[name=qrTimeout]', '5');
    // never give up showing codes: the steps before the scan may take longer than six rotations on a busy machine
    await page.type('input[name=qrMaxRetries]', '0');
    await (await button(page, '.session-form', 'Add a webhook')).click();
    await page.type('input[name="webhooks.0.url"]', receiver.url);
    await screenshot(page, 'new-session-1280');
    await page.click('.session-form button[type=submit]');
    await page.waitForSelector('.qr-box img[data-qr]', { timeout: 30_000 });
    firstQr = await page.$eval('.qr-box img', (image) => image.getAttribute('data-qr') ?? '');
    const box = await (await page.$('.qr-box'))!.boundingBox();
    await page.waitForFunction((first) => {
      const qr = document.querySelector('.qr-box img')?.getAttribute('data-qr');
      return qr !== undefined && qr !== null && qr !== first;
    }, { timeout: 20_000 }, firstQr);
    assert.deepEqual(await (await page.$('.qr-box'))!.boundingBox(), box, 'the QR box did not move or resize');
    assert.ok(await page.$eval('.qr-box img', (image) => (image as HTMLImageElement).naturalWidth > 0), 'the QR image is drawn');
    await screenshot(page, 'qr-1280');
    const config = (await server.api<{ config: { sandbox: boolean; qrTimeout: number; qrMaxRetries: number; webhooks: { url: string }[] } }>('GET', `/api/v1/sessions/${SESSION}`)).body.config;
    assert.equal(config.sandbox, true);
    assert.equal(config.qrTimeout, 5);
    assert.equal(config.qrMaxRetries, 0);
    assert.deepEqual(config.webhooks.map((webhook) => webhook.url), [receiver.url]);
  });

  it("the phone scans; another tab's overview turns WORKING without a reload", async () => {
    const overview = await browser.page(1280);
    try {
      await signIn(overview, base, API_KEY);
      await overview.waitForSelector(`tr[data-session=${SESSION}] [data-status=SCAN_QR_CODE]`);
      await overview.evaluate(() => Object.assign(window, { notReloaded: true }));
      // a tab in the background draws no frames, so clicks and waits happen in the tab in front
      await page.bringToFront();
      await (await button(page, '.phone', 'Scan the QR code')).click();
      await page.waitForSelector('.session-head [data-status=WORKING]', { timeout: 30_000 });
      await overview.bringToFront();
      await overview.waitForSelector(`tr[data-session=${SESSION}] [data-status=WORKING]`, { timeout: 30_000 });
      assert.equal(await overview.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true);
      assert.match(await textOf(overview, `tr[data-session=${SESSION}]`), /\+15550000001/);
      assert.deepEqual(overview.errors, []);
    } finally {
      await overview.close();
      await page.bringToFront();
    }
  });

  it('sends a text and an image from the chat view; the phone receives both', async () => {
    await page.type('#new-chat', CONTACT);
    await (await button(page, '.chat-list', 'Open')).click();
    await page.type('#composer-text', 'Hello from the dashboard');
    await page.click('.composer button.primary');
    await waitForText(page, '[data-testid=messages] .mine', 'Hello from the dashboard');
    const input = (await page.$('#composer-file')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(imagePath);
    await page.waitForFunction(() => document.querySelector('.composer .replying')?.textContent?.includes('sunset.png'));
    await page.type('#composer-text', 'A sunset');
    await page.click('.composer button.primary');
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('[data-testid=messages] .mine img.media')].some((image) => image.naturalWidth === 96), { timeout: 20_000 });

    await pollUntil(
      async () => {
        const outbox = (await server.api<{ messages: { body: string; type: string; caption?: string; filename?: string }[] }>('GET', `/api/v1/sessions/${SESSION}/sandbox/outbox`)).body.messages;
        return outbox.some((sent) => sent.body === 'Hello from the dashboard') && outbox.some((sent) => sent.type === 'image' && sent.filename === 'sunset.png');
      },
      { what: 'the text and the image in the phone outbox' },
    );
    await waitForText(page, '[data-testid=outbox]', 'Hello from the dashboard');
  });

  let incomingId = '';
  it('a contact writes from the phone panel; the message appears live in the chat', async () => {
    await page.type('#phone-text', 'Is anyone there?');
    await (await button(page, '.phone', `Write as +${CONTACT}`)).click();
    await waitForText(page, '[data-testid=messages] .theirs', 'Is anyone there?');
    incomingId = await page.$$eval('[data-testid=messages] .theirs', (items) => items.at(-1)?.getAttribute('data-message') ?? '');
    assert.match(incomingId, /^false_15557770000@c\.us_/);
  });

  it('replies to and reacts on that message', async () => {
    const bubble = `[data-message="${incomingId}"]`;
    await (await button(page, bubble, 'Reply')).click();
    await page.waitForSelector('.composer .replying');
    await page.type('#composer-text', 'Yes, we are here');
    await page.click('.composer button.primary');
    await page.click(`${bubble} button[aria-label="React 👍"]`);
    await pollUntil(
      async () => {
        const outbox = (await server.api<{ messages: { body: string; quotedMessageId?: string }[] }>('GET', `/api/v1/sessions/${SESSION}/sandbox/outbox`)).body.messages;
        const actions = (await server.api<{ actions: { kind: string; target: string; value?: string }[] }>('GET', `/api/v1/sessions/${SESSION}/sandbox/actions`)).body.actions;
        return (
          outbox.some((sent) => sent.body === 'Yes, we are here' && sent.quotedMessageId === incomingId) &&
          actions.some((action) => action.kind === 'reaction' && action.target === incomingId && action.value === '👍')
        );
      },
      { what: 'the reply quoting the message, and the reaction, on the phone' },
    );
    await screenshot(page, 'chat-1280');
    await page.setViewport({ width: 375, height: 812 });
    await screenshot(page, 'chat-375');
    await page.setViewport({ width: 1280, height: 900 });
  });

  it('webhook deliveries show failed attempts; retry delivers once the receiver recovers', async () => {
    await page.goto(`${base}/#/sessions/${SESSION}/webhooks`);
    // deliveries go out in order: the oldest pending one is the one being tried, the others wait behind it
    const failed = await page.waitForFunction(
      () =>
        [...document.querySelectorAll('tr[data-status=pending]')]
          .find((row) => Number(row.querySelector('.attempts')?.textContent) >= 1 && row.textContent?.includes('HTTP 500'))
          ?.getAttribute('data-delivery'),
      { timeout: 30_000 },
    );
    const deliveryId = String(await failed.jsonValue());
    assert.ok(receiver.received.some((delivery) => delivery.deliveryId === deliveryId && delivery.answeredWith === 500));
    await waitForText(page, '[data-testid=delivery-summary]', 'HTTP 500');
    await screenshot(page, 'webhooks-1280');
    receiver.mode = 200;
    const retried = page.waitForResponse((response) => response.url().endsWith(`/webhooks/deliveries/${deliveryId}/retry`));
    await (await button(page, `tr[data-delivery="${deliveryId}"]`, 'Retry')).click();
    assert.equal((await retried).status(), 202);
    await page.waitForSelector(`tr[data-delivery="${deliveryId}"][data-status=delivered]`, { timeout: 20_000 });
    assert.ok(receiver.received.some((delivery) => delivery.deliveryId === deliveryId && delivery.answeredWith === 200));
  });

  it('shows the event log with a filter, and the logs', async () => {
    await page.goto(`${base}/#/sessions/${SESSION}/events`);
    await waitForText(page, '[data-testid=events]', 'message.sent');
    await page.select('#event-type', 'session.status');
    await page.waitForFunction(() => {
      const kinds = [...document.querySelectorAll('[data-testid=events] summary code')].map((code) => code.textContent);
      return kinds.length > 0 && kinds.every((kind) => kind === 'session.status');
    });
    await page.goto(`${base}/#/sessions/${SESSION}/logs`);
    await waitForText(page, '[data-testid=logs]', 'logged in as');
  });

  it('the overview at both widths', async () => {
    await page.goto(`${base}/#/`);
    await page.waitForSelector(`tr[data-session=${SESSION}] [data-status=WORKING]`);
    // memory and processes come from /metrics once the probe has measured the browser
    await page.waitForFunction((id) => /\d+ MiB/.test(document.querySelector(`tr[data-session=${id}]`)?.textContent ?? ''), { timeout: 40_000 }, SESSION);
    await screenshot(page, 'overview-1280');
    await page.setViewport({ width: 375, height: 812 });
    await screenshot(page, 'overview-375');
    await page.goto(`${base}/#/new`);
    await page.waitForSelector('.session-form');
    await screenshot(page, 'new-session-375');
    await page.setViewport({ width: 1280, height: 900 });
  });

  it('changes the config from the Config tab without losing the login', async () => {
    await page.goto(`${base}/#/sessions/${SESSION}/config`);
    await page.waitForSelector('.session-form input[name=qrTimeout]');
    await typeInto(page, '.session-form input[name=qrTimeout]', '30');
    const saved = page.waitForResponse((response) => response.request().method() === 'PATCH');
    await page.click('.session-form button[type=submit]');
    assert.equal((await saved).status(), 200);
    assert.deepEqual(JSON.parse((await saved).request().postData() ?? '{}'), { qrTimeout: 30 }, 'only what changed is sent');
    const after = (await server.api<{ status: string; config: { qrTimeout: number; webhooks: { url: string }[] } }>('GET', `/api/v1/sessions/${SESSION}`)).body;
    assert.equal(after.config.qrTimeout, 30);
    assert.equal(after.status, 'WORKING');
    assert.deepEqual(after.config.webhooks.map((webhook) => webhook.url), [receiver.url]);
  });

  it('deletes the session after confirming; it is gone, and so is its browser', async () => {
    await page.goto(`${base}/#/sessions/${SESSION}/chat`);
    await (await button(page, '.session-actions', 'Delete')).click();
    await page.waitForSelector('dialog.confirm[open]');
    await (await button(page, 'dialog.confirm[open]', 'Delete for good')).click();
    await page.waitForFunction(() => location.hash === '#/');
    await page.waitForSelector('.overview .empty');
    assert.equal((await server.api('GET', `/api/v1/sessions/${SESSION}`)).status, 404);
    assert.deepEqual(await sessionProcesses(server, SESSION), []);
  });

  it('a scoped key sees only its own sessions', async () => {
    await server.api('POST', '/api/v1/sessions', { sessionId: 'mine', config: { sandbox: true }, start: false });
    await server.api('POST', '/api/v1/sessions', { sessionId: 'theirs', config: { sandbox: true }, start: false });
    const created = await server.api<{ key: string }>('POST', '/api/v1/keys', { name: 'desk', sessions: ['mine'], roles: ['read', 'send', 'control'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const scoped = await browser.page(1280);
    try {
      await signIn(scoped, base, created.body.key);
      await scoped.waitForSelector('tr[data-session=mine]');
      assert.equal(await scoped.$('tr[data-session=theirs]'), null);
      assert.deepEqual(scoped.errors, []);
    } finally {
      await scoped.close();
      await page.bringToFront();
    }
    await waitForStatus(server, 'mine', 'STOPPED');
  });

  it('search narrows the overview, and the selected sessions start and stop together', async () => {
    // sessions a script created without starting them send no event: a reload lists them
    await page.goto(`${base}/#/`);
    await page.reload();
    await page.waitForSelector('tr[data-session=theirs]');
    await page.type('#session-search', 'min');
    await page.waitForFunction(() => document.querySelectorAll('table.sessions tbody tr').length === 1);
    assert.ok(await page.$('tr[data-session=mine]'));
    await page.click('table.sessions thead input[type=checkbox]');
    await (await button(page, '.bulk', 'Start selected')).click();
    await page.waitForSelector('tr[data-session=mine] [data-status=SCAN_QR_CODE]', { timeout: 30_000 });
    assert.equal((await server.api<{ status: string }>('GET', '/api/v1/sessions/theirs')).body.status, 'STOPPED', 'a session filtered out was not started');
    await page.click('table.sessions thead input[type=checkbox]');
    await (await button(page, '.bulk', 'Stop selected')).click();
    await page.waitForSelector('tr[data-session=mine] [data-status=STOPPED]', { timeout: 30_000 });
    assert.deepEqual(await sessionProcesses(server, 'mine'), []);
  });
});

describe('dashboard of a server without a key (npm start on this machine)', () => {
  let server: ServerProcess;
  let browser: TestBrowser;

  before(async () => {
    server = await ServerProcess.start();
    browser = await TestBrowser.launch();
  });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      await server?.cleanup();
    }
  });

  it('opens on the overview with no sign-in, and the empty overview points to a sandbox session', async () => {
    const page = await browser.page(1280);
    await page.goto(`${await server.baseUrl}/`);
    await page.waitForSelector('.overview .empty');
    assert.equal(await page.$('#api-key'), null, 'no sign-in form');
    assert.match(await textOf(page, '.overview .empty'), /Sandbox/);
    assert.equal(
      await page.$$eval('header button', (buttons) => buttons.some((element) => element.textContent?.includes('Sign out'))),
      false,
      'nothing to sign out of',
    );
    // this server makes sandbox sessions by default: the form says so
    await page.click('a.button.primary[href="#/new"]');
    await page.waitForSelector('.session-form');
    await page.waitForFunction(() => (document.querySelector('input[name=sandbox][value=sandbox]') as HTMLInputElement | null)?.checked === true);
    assert.deepEqual(page.errors, []);
  });

  it("another site's page cannot start a session; the dashboard can", async () => {
    const base = await server.baseUrl;
    assert.equal((await server.api('POST', '/api/v1/sessions', { sessionId: 'victim', start: false })).status, 201);
    // a page on another port of this machine posts a form to the API, as any page the user opens could
    const evil = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<form method="POST" action="${base}/api/v1/sessions/victim/start"></form><script>document.forms[0].submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const page = await browser.page(1280);
    try {
      await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      await page.waitForFunction((target) => location.href === target, { timeout: 20_000 }, `${base}/api/v1/sessions/victim/start`);
      assert.match(await page.evaluate(() => document.body.textContent ?? ''), /CROSS_SITE_REFUSED/);
      assert.equal((await server.api<{ status: string }>('GET', '/api/v1/sessions/victim')).body.status, 'STOPPED');
      assert.deepEqual(await sessionProcesses(server, 'victim'), []);

      await page.goto(`${base}/#/`);
      await page.waitForSelector('tr[data-session=victim]');
      await page.click('tr[data-session=victim] input[type=checkbox]');
      await (await button(page, '.bulk', 'Start selected')).click();
      await page.waitForSelector('tr[data-session=victim] [data-status=SCAN_QR_CODE]', { timeout: 30_000 });
    } finally {
      await page.close();
      evil.close();
    }
  });
});

/**
 * Sessions that sleep, as the hibernation unit tests drive them: the real session manager and hibernation
 * scheduler, fake WhatsApp clients, an in-memory store and a clock the test moves by hand (no sleeps).
 */
import { DEFAULT_FLAG_POLICY } from '../../src/browser/chromium-flags.js';
import { AppError } from '../../src/shared/errors.js';
import { createSilentLogger } from '../../src/shared/logger.js';
import { Hibernation } from '../../src/sessions/hibernation.js';
import { SessionEvents } from '../../src/sessions/session-events.js';
import { SessionManager } from '../../src/sessions/session-manager.js';
import { SessionMessaging } from '../../src/sessions/session-messaging.js';
import type { Session } from '../../src/sessions/session.js';
import type { SessionStatus } from '../../src/sessions/session-status.js';
import type { SessionLookup } from '../../src/sessions/working-client.js';
import type { WaMessage } from '../../src/wa/wa-client.js';
import { FakeProcessTable } from './fake-process-table.js';
import { FakeTimers } from './fake-timers.js';
import { FakeWaClientFactory, type FakeWaClient } from './fake-wa-client.js';
import { InMemorySessionStore } from './in-memory-session-store.js';

export const ME = { id: '15550001111@c.us', pushName: 'Desk' };
export const MINUTE = 60_000;

export function setup(options: { defaultMinutes?: number; wakeConcurrency?: number } = {}) {
  const timers = new FakeTimers();
  const store = new InMemorySessionStore();
  const factory = new FakeWaClientFactory();
  const events = new SessionEvents();
  const manager = new SessionManager({
    store,
    clientFactory: factory.create,
    processes: new FakeProcessTable(),
    hostname: 'testhost',
    logger: createSilentLogger(),
    events,
    now: () => timers.now(),
    settings: { serverChromiumArgs: [], flagPolicy: DEFAULT_FLAG_POLICY, stopDeadlineMs: 1_000, stableAfterMs: 60_000 },
    managerSettings: {
      maxSessions: 10,
      sandboxByDefault: true,
      restart: { maxAttempts: 3, windowMs: 120_000, cooldownMs: 0 },
      lockTimeoutMs: 5_000,
    },
  });
  const hibernation = new Hibernation({
    host: manager,
    events,
    timers,
    logger: createSilentLogger(),
    settings: { defaultHibernateAfterMinutes: options.defaultMinutes, scheduledWakeConcurrency: options.wakeConcurrency ?? 2 },
  });
  hibernation.start();
  const sessions: SessionLookup = { get: (id) => manager.get(id), beginUse: (id) => hibernation.beginUse(id) };
  const messaging = new SessionMessaging(sessions, () => timers.now());
  const history = new Map<string, SessionStatus[]>();
  events.on('status', ({ sessionId, change }) => history.set(sessionId, [...(history.get(sessionId) ?? []), change.to]));
  return { timers, store, factory, events, manager, hibernation, messaging, history };
}
export type Fixture = ReturnType<typeof setup>;

/** How every client created from now on answers its initialize(): logged in, a QR code (login gone), or nothing. */
export function clientsAnswer(fixture: Fixture, answer: 'ready' | 'qr' | 'nothing'): void {
  fixture.factory.onCreate = (client: FakeWaClient) => {
    client.initialize = async () => {
      client.initializeCalls++;
      if (answer === 'ready') setImmediate(() => client.emit('ready', ME));
      if (answer === 'qr') setImmediate(() => client.emit('qr', 'ref,1'));
    };
  };
}

export async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export async function linked(fixture: Fixture, sessionId: string, config: Record<string, unknown>): Promise<Session> {
  clientsAnswer(fixture, 'ready');
  const session = await fixture.manager.create(sessionId, config, { start: true });
  fixture.manager.start(sessionId);
  await until(() => session.status.status === 'WORKING', `${sessionId} WORKING`);
  return session;
}

export function incoming(body: string): WaMessage {
  return { id: `false_1555@c.us_${body}`, chatId: '1555@c.us', from: '1555@c.us', to: ME.id, body, type: 'text', timestamp: 1, fromMe: false, hasMedia: false };
}

export function codeOf(error: unknown): string | undefined {
  return error instanceof AppError ? `${error.status} ${error.code}` : undefined;
}

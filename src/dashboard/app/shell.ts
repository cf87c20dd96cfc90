import { html } from 'htm/preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, sessionPath, type Api } from './api.js';
import { DashboardContext, EventBus, type Dashboard } from './context.js';
import { openEventStream, type StreamState } from './event-stream.js';
import { fetchSessionMetrics } from './metrics.js';
import { useRoute } from './router.js';
import { Overview } from './overview.js';
import { NewSession } from './session-form.js';
import { SessionPage } from './session-page.js';
import type { Envelope, Session, SessionMetrics } from './types.js';

/** The probe measures browsers every 15 s by default: reading /metrics more often shows nothing new. */
const METRICS_EVERY_MS = 15_000;

interface Toast {
  id: number;
  text: string;
  tone: 'ok' | 'bad';
}

/**
 * Signed in: the sessions as GET /sessions lists them, kept current by the event stream (a status event reads its
 * session again), the browsers' memory from /metrics, and the screen the address names.
 */
export function Shell({ api, keyNeeded, onSignOut }: { api: Api; keyNeeded: boolean; onSignOut: () => void }) {
  const bus = useMemo(() => new EventBus(), []);
  const [sessions, setSessions] = useState<ReadonlyMap<string, Session>>(new Map());
  const [loaded, setLoaded] = useState(false);
  const [metrics, setMetrics] = useState<ReadonlyMap<string, SessionMetrics>>(new Map());
  const [lastEvent, setLastEvent] = useState<ReadonlyMap<string, number>>(new Map());
  const [stream, setStream] = useState<StreamState>('connecting');
  const [sandboxByDefault, setSandboxByDefault] = useState(false);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const toastId = useRef(0);
  const route = useRoute();

  const notify = useCallback((text: string, tone: 'ok' | 'bad' = 'ok') => {
    const id = ++toastId.current;
    setToasts((shown) => [...shown.slice(-2), { id, text, tone }]);
    setTimeout(() => setToasts((shown) => shown.filter((toast) => toast.id !== id)), tone === 'bad' ? 8000 : 4000);
  }, []);

  // answers to reads of one session may come back out of order, or after it was deleted here: only the latest counts
  const reads = useRef(new Map<string, number>());
  const deleted = useRef(new Set<string>());

  const forget = useCallback((id: string) => {
    deleted.current.add(id);
    reads.current.set(id, (reads.current.get(id) ?? 0) + 1);
    setSessions((current) => {
      const next = new Map(current);
      next.delete(id);
      return next;
    });
  }, []);

  const reload = useCallback(
    async (id: string) => {
      if (deleted.current.has(id)) return;
      const read = (reads.current.get(id) ?? 0) + 1;
      reads.current.set(id, read);
      try {
        const session = await api.get<Session>(sessionPath(id));
        if (reads.current.get(id) === read) setSessions((current) => new Map(current).set(id, session));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404 && reads.current.get(id) === read) forget(id);
      }
    },
    [api, forget],
  );

  const loadAll = useCallback(async () => {
    const { sessions: listed } = await api.get<{ sessions: Session[] }>('/api/v1/sessions');
    // a session listed again was created again: it is no longer one deleted here
    for (const session of listed) deleted.current.delete(session.id);
    setSessions(new Map(listed.map((session) => [session.id, session])));
    setLoaded(true);
  }, [api]);

  useEffect(() => {
    void loadAll().catch((error: unknown) => notify(`Could not list the sessions: ${String(error)}`, 'bad'));
    void api
      .get<{ sandboxByDefault?: boolean }>('/info')
      .then((info) => setSandboxByDefault(info.sandboxByDefault === true))
      .catch(() => undefined);
  }, [api, loadAll, notify]);

  // one stream for the whole dashboard; screens subscribe through the bus
  useEffect(() => {
    const onEvent = (envelope: Envelope) => {
      setLastEvent((current) => new Map(current).set(envelope.session, Date.parse(envelope.timestamp)));
      if (envelope.event === 'session.status') void reload(envelope.session);
      if (envelope.event === 'qr' || envelope.event === 'pairing.code') {
        setSessions((current) => {
          const session = current.get(envelope.session);
          if (!session) return current;
          const update = envelope.event === 'qr' ? { qr: String(envelope.payload.qr) } : { pairingCode: String(envelope.payload.code) };
          return new Map(current).set(session.id, { ...session, ...update });
        });
      }
      bus.emit(envelope);
    };
    let wasLive = false;
    return openEventStream(api, {
      onEvent,
      onState: (state) => {
        setStream(state);
        // statuses may have moved while the stream was down (a restart of the server): read them all again
        if (state === 'live' && wasLive) void loadAll().catch(() => undefined);
        if (state === 'live') wasLive = true;
      },
      onReset: () => void loadAll().catch(() => undefined),
    });
  }, [api, bus, reload, loadAll]);

  useEffect(() => {
    const read = () => {
      if (document.visibilityState !== 'visible') return;
      fetchSessionMetrics(api).then(setMetrics, () => undefined);
    };
    read();
    const timer = setInterval(read, METRICS_EVERY_MS);
    return () => clearInterval(timer);
  }, [api]);

  const reloadAll = useCallback(() => void loadAll().catch(() => undefined), [loadAll]);
  const dashboard: Dashboard = { api, bus, sessions, loaded, metrics, lastEvent, sandboxByDefault, reload, forget, reloadAll, notify };

  return html`<${DashboardContext.Provider} value=${dashboard}>
    <header class="top">
      <a class="brand" href="#/"><span class="logo" aria-hidden="true">◎</span> wamux</a>
      <nav>
        <a href="#/" aria-current=${route.page === 'overview' ? 'page' : undefined}>Sessions</a>
        <a href="#/new" aria-current=${route.page === 'new' ? 'page' : undefined}>New session</a>
        <a href="/api-docs" target="_blank" rel="noopener">API docs</a>
      </nav>
      <span class=${`stream stream-${stream}`} title="Live event stream" data-testid="stream-state">
        ${stream === 'live' ? 'live' : stream === 'unauthorized' || stream === 'forbidden' ? 'no live events for this key' : 'connecting…'}
      </span>
      ${keyNeeded && html`<button class="link" onClick=${onSignOut}>Sign out</button>`}
    </header>
    <main class="page">
      ${route.page === 'overview' && html`<${Overview} loaded=${loaded} />`}
      ${route.page === 'new' && html`<${NewSession} />`}
      ${route.page === 'session' && html`<${SessionPage} key=${route.id} id=${route.id} tab=${route.tab} />`}
    </main>
    <div class="toasts" role="status" aria-live="polite">
      ${toasts.map((toast) => html`<p key=${toast.id} class=${`toast toast-${toast.tone}`} role=${toast.tone === 'bad' ? 'alert' : undefined}>${toast.text}</p>`)}
    </div>
  </${DashboardContext.Provider}>`;
}

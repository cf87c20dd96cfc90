import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef } from 'preact/hooks';
import type { Api } from './api.js';
import type { Envelope, Session, SessionMetrics } from './types.js';

/** Every event of the stream, handed to whichever screens listen. */
export class EventBus {
  private readonly listeners = new Set<(envelope: Envelope) => void>();

  on(listener: (envelope: Envelope) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(envelope: Envelope): void {
    for (const listener of this.listeners) listener(envelope);
  }
}

export interface Dashboard {
  api: Api;
  bus: EventBus;
  sessions: ReadonlyMap<string, Session>;
  /** The first listing has arrived. */
  loaded: boolean;
  metrics: ReadonlyMap<string, SessionMetrics>;
  /** Epoch ms of each session's latest event seen since the page opened. */
  lastEvent: ReadonlyMap<string, number>;
  /** New sessions are sandbox sessions unless they say otherwise (the server's --sandbox). */
  sandboxByDefault: boolean;
  /** Reads one session again (after an action), or forgets it when it is gone. */
  reload: (id: string) => Promise<void>;
  forget: (id: string) => void;
  /** Lists every session again (a session created elsewhere without starting sends no event). */
  reloadAll: () => void;
  /** A short message at the bottom of the screen. */
  notify: (text: string, tone?: 'ok' | 'bad') => void;
}

export const DashboardContext = createContext<Dashboard | undefined>(undefined);

export function useDashboard(): Dashboard {
  const dashboard = useContext(DashboardContext);
  if (!dashboard) throw new Error('useDashboard outside the dashboard');
  return dashboard;
}

/** Calls the handler with each live event of one session (or of all, without an id), for as long as the caller is shown. */
export function useSessionEvents(sessionId: string | undefined, handler: (envelope: Envelope) => void): void {
  const { bus } = useDashboard();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(
    () => bus.on((envelope) => {
      if (sessionId === undefined || envelope.session === sessionId) latest.current(envelope);
    }),
    [bus, sessionId],
  );
}

/** Runs `read` once, `ms` after the first of however many calls ask for it meanwhile (a burst of events is one read). */
export function useCoalesced(read: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      read();
    }, ms);
  }, [read, ms]);
}

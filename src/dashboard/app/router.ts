import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'overview' }
  | { page: 'new' }
  | { page: 'session'; id: string; tab: SessionTab };

export const SESSION_TABS = ['chat', 'events', 'webhooks', 'logs', 'config'] as const;
export type SessionTab = (typeof SESSION_TABS)[number];

/** #/ · #/new · #/sessions/<id>[/<tab>] */
export function parseRoute(hash: string): Route {
  let parts: string[];
  try {
    parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return { page: 'overview' }; // a malformed %-escape
  }
  if (parts[0] === 'new') return { page: 'new' };
  if (parts[0] === 'sessions' && parts[1]) {
    const tab = SESSION_TABS.find((name) => name === parts[2]) ?? 'chat';
    return { page: 'session', id: parts[1], tab };
  }
  return { page: 'overview' };
}

export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'overview':
      return '#/';
    case 'new':
      return '#/new';
    case 'session':
      return `#/sessions/${encodeURIComponent(route.id)}/${route.tab}`;
  }
}

export function navigate(route: Route): void {
  location.hash = hrefOf(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

/** Re-renders every `everyMs`, for "3m ago" and uptimes. */
export function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

import { html } from 'htm/preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { Api, ApiError, messageOf } from './api.js';
import { SignIn } from './sign-in.js';
import { Shell } from './shell.js';

type Gate = { state: 'checking' } | { state: 'signed-out'; error?: string } | { state: 'signed-in'; keyNeeded: boolean };

/** Sign-in first: the dashboard holds the key only in this tab (sessionStorage) and shows nothing without it. */
export function App() {
  const api = useMemo(() => new Api(), []);
  const [gate, setGate] = useState<Gate>({ state: 'checking' });

  const tryKey = useCallback(
    async (key: string | undefined): Promise<void> => {
      api.key = key;
      try {
        await api.get('/api/v1/sessions');
        api.remember(key);
        // a server without a key answers anyone on its machine: there is nothing to sign in with
        let keyNeeded = key !== undefined;
        if (keyNeeded) keyNeeded = (await fetch('/api/v1/sessions')).status === 401;
        setGate({ state: 'signed-in', keyNeeded });
      } catch (error) {
        api.remember(undefined);
        const refused = error instanceof ApiError && error.status === 401;
        setGate({
          state: 'signed-out',
          error: key === undefined ? undefined : refused ? 'The server refused this key. Check it and try again.' : `The server could not be reached: ${messageOf(error)}`,
        });
      }
    },
    [api],
  );

  useEffect(() => {
    api.onUnauthorized = () => {
      api.remember(undefined);
      setGate({ state: 'signed-out', error: 'The server no longer accepts the key (revoked or changed). Sign in again.' });
    };
    void tryKey(api.key);
  }, [api, tryKey]);

  if (gate.state === 'checking') return html`<p class="boot">Connecting…</p>`;
  if (gate.state === 'signed-out') return html`<${SignIn} error=${gate.error} onKey=${(key: string) => tryKey(key)} />`;
  return html`<${Shell}
    api=${api}
    keyNeeded=${gate.keyNeeded}
    onSignOut=${() => {
      api.remember(undefined);
      setGate({ state: 'signed-out' });
    }}
  />`;
}

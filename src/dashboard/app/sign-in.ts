import { html } from 'htm/preact';
import { useState } from 'preact/hooks';

export function SignIn({ error, onKey }: { error?: string; onKey: (key: string) => Promise<void> }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    await onKey(key.trim());
    setBusy(false);
  };
  return html`<main class="sign-in">
    <form class="card" onSubmit=${submit} aria-describedby=${error ? 'sign-in-error' : undefined}>
      <h1><span class="logo" aria-hidden="true">◎</span> wamux</h1>
      <p>Sign in with the server's API key (<code>API_KEY</code>) or a scoped key. It stays in this tab only.</p>
      <label for="api-key">API key</label>
      <input id="api-key" name="apiKey" type="password" autocomplete="current-password" required value=${key}
        onInput=${(event: Event) => setKey((event.target as HTMLInputElement).value)} autofocus />
      ${error && html`<p id="sign-in-error" class="error" role="alert">${error}</p>`}
      <button type="submit" class="primary" disabled=${busy || key.trim() === ''}>${busy ? 'Checking…' : 'Sign in'}</button>
      <p class="muted"><a href="/api-docs">API documentation</a></p>
    </form>
  </main>`;
}

import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { messageOf, sessionPath } from './api.js';
import { ConfirmButton } from './confirm.js';
import { useDashboard } from './context.js';
import { dateTime, duration, mebibytes, phoneOf } from './format.js';
import { ChatView } from './chat-view.js';
import { EventsPanel, LogsPanel, WebhooksPanel } from './activity.js';
import { LinkingPanel } from './linking.js';
import { PhonePanel } from './phone-panel.js';
import { StatusBadge, workingSince } from './overview.js';
import { hrefOf, navigate, SESSION_TABS, useNow, type SessionTab } from './router.js';
import { ConfigEditor } from './session-form.js';
import type { Session } from './types.js';

const TAB_LABELS: Record<SessionTab, string> = { chat: 'Chat', events: 'Events', webhooks: 'Webhooks', logs: 'Logs', config: 'Config' };

function Actions({ session }: { session: Session }) {
  const { api, reload, forget, notify } = useDashboard();
  const [busy, setBusy] = useState(false);
  const act = async (label: string, method: string, path: string, after?: () => void) => {
    setBusy(true);
    try {
      await api.request(method, sessionPath(session.id, path), method === 'DELETE' ? undefined : {});
      notify(label);
      if (after) after();
      else await reload(session.id);
    } catch (error) {
      notify(messageOf(error), 'bad');
    } finally {
      setBusy(false);
    }
  };
  const running = !['STOPPED', 'FAILED', 'HIBERNATED'].includes(session.status);
  return html`<div class="actions session-actions">
    ${running
      ? html`<button disabled=${busy} onClick=${() => act('Stopped', 'POST', '/stop')}>Stop</button>`
      : html`<button class="primary" disabled=${busy} onClick=${() => act(session.status === 'HIBERNATED' ? 'Waking' : 'Starting', 'POST', '/start')}>
          ${session.status === 'HIBERNATED' ? 'Wake' : 'Start'}</button>`}
    <button disabled=${busy} onClick=${() => act('Restarting', 'POST', '/restart')}>Restart</button>
    <${ConfirmButton} label="Log out" disabled=${busy || !session.me}
      question=${`Unlink ${session.id} from ${phoneOf(session.me?.id) || 'its phone'}? Its login is deleted: linking again needs a new QR scan.`}
      confirmLabel="Log out" onConfirm=${() => act('Logged out', 'POST', '/logout')} />
    <${ConfirmButton} label="Delete" disabled=${busy}
      question=${`Delete session ${session.id}? Its browser is closed and its login, config and event log are removed for good.`}
      confirmLabel="Delete for good"
      onConfirm=${() => act(`Deleted ${session.id}`, 'DELETE', '', () => {
        forget(session.id);
        navigate({ page: 'overview' });
      })} />
  </div>`;
}

function StatusHistory({ session }: { session: Session }) {
  return html`<section class="card" aria-labelledby="history-title">
    <h2 id="history-title">Status history</h2>
    <ol class="history">
      ${[...session.history].reverse().map(
        (change) => html`<li><time datetime=${change.at}>${dateTime(change.at)}</time> <${StatusBadge} session=${{ status: change.to }} />
          <span class="muted">${change.reason}</span></li>`,
      )}
    </ol>
  </section>`;
}

export function SessionPage({ id, tab }: { id: string; tab: SessionTab }) {
  const { sessions, loaded, metrics } = useDashboard();
  const now = useNow(10_000);
  const session = sessions.get(id);
  if (!session && !loaded) return html`<p class="muted">Loading…</p>`;
  if (!session) {
    return html`<section class="narrow card"><h1>Session ${id}</h1><p>There is no such session (it may have been deleted).</p>
      <a class="button" href="#/">All sessions</a></section>`;
  }
  const measured = metrics.get(id);
  const since = workingSince(session);
  const linking = session.status === 'SCAN_QR_CODE' || session.status === 'STARTING';
  return html`<section class="session">
    <div class="session-head">
      <div>
        <p class="crumbs"><a href="#/">Sessions</a> /</p>
        <h1>${session.id} <${StatusBadge} session=${session} />${session.config.sandbox && html` <span class="tag">sandbox</span>`}</h1>
        <p class="facts">
          ${session.me ? html`<span>${phoneOf(session.me.id)} · ${session.me.pushName}</span>` : html`<span class="muted">not linked</span>`}
          ${since !== undefined && html`<span>up ${duration(Math.round((Math.max(now, Date.now()) - since) / 1000))}</span>`}
          ${measured?.pssBytes ? html`<span>${mebibytes(measured.pssBytes)} in ${measured.processes} processes</span>` : ''}
          ${session.reason && html`<span class="muted">${session.reason}</span>`}
        </p>
      </div>
      <${Actions} session=${session} />
    </div>
    <div class="session-body">
      <div class="session-main">
        ${linking && html`<${LinkingPanel} session=${session} />`}
        <nav class="tabs" aria-label="Session views">
          ${SESSION_TABS.map(
            (name) => html`<a href=${hrefOf({ page: 'session', id, tab: name })} aria-current=${tab === name ? 'page' : undefined}>${TAB_LABELS[name]}</a>`,
          )}
        </nav>
        <div class="tab-body">
          ${tab === 'chat' && html`<${ChatView} session=${session} />`}
          ${tab === 'events' && html`<${EventsPanel} session=${session} />`}
          ${tab === 'webhooks' && html`<${WebhooksPanel} session=${session} />`}
          ${tab === 'logs' && html`<${LogsPanel} session=${session} />`}
          ${tab === 'config' && html`<${ConfigEditor} session=${session} />`}
        </div>
      </div>
      <aside class="session-side">
        ${session.config.sandbox && html`<${PhonePanel} session=${session} />`}
        <${StatusHistory} session=${session} />
      </aside>
    </div>
  </section>`;
}

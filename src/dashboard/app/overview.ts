import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { messageOf, sessionPath } from './api.js';
import { useDashboard } from './context.js';
import { ago, duration, mebibytes, phoneOf, statusLabel, statusTone } from './format.js';
import { hrefOf, useNow } from './router.js';
import { STATUSES, type Session, type SessionMetrics } from './types.js';

/** Since when the session has been WORKING, from its status history. */
export function workingSince(session: Session): number | undefined {
  if (session.status !== 'WORKING') return undefined;
  const change = [...session.history].reverse().find((entry) => entry.to === 'WORKING');
  return change ? Date.parse(change.at) : undefined;
}

function lastActivity(seen: number | undefined, metrics: SessionMetrics | undefined): number | undefined {
  const measured =
    metrics?.secondsSinceLastEvent !== undefined && metrics.readAt !== undefined ? metrics.readAt - metrics.secondsSinceLastEvent * 1000 : undefined;
  if (seen === undefined) return measured;
  return measured === undefined ? seen : Math.max(seen, measured);
}

function matches(session: Session, query: string): boolean {
  if (query === '') return true;
  const text = `${session.id} ${session.me?.id ?? ''} ${session.me?.pushName ?? ''} ${phoneOf(session.me?.id)}`.toLowerCase();
  return query.toLowerCase().split(/\s+/).every((word) => text.includes(word));
}

export function StatusBadge({ session }: { session: Pick<Session, 'status' | 'reason'> }) {
  return html`<span class=${`badge badge-${statusTone(session.status)}`} title=${session.reason ?? ''} data-status=${session.status}>
    ${statusLabel(session.status)}
  </span>`;
}

export function Overview({ loaded }: { loaded: boolean }) {
  const { api, sessions, metrics, lastEvent, reload, reloadAll, notify } = useDashboard();
  useEffect(reloadAll, [reloadAll]);
  const [query, setQuery] = useState('');
  const [statusFilter, setStatusFilter] = useState<string>('');
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const now = useNow(10_000);

  const all = useMemo(() => [...sessions.values()].sort((a, b) => a.id.localeCompare(b.id)), [sessions]);
  const totals = useMemo(() => {
    const counts = new Map<string, number>();
    for (const session of all) counts.set(session.status, (counts.get(session.status) ?? 0) + 1);
    return counts;
  }, [all]);
  const shown = all.filter((session) => (statusFilter === '' || session.status === statusFilter) && matches(session, query.trim()));
  const chosen = shown.filter((session) => selected.has(session.id));

  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const bulk = async (action: 'start' | 'stop') => {
    setBusy(true);
    const results = await Promise.allSettled(chosen.map((session) => api.post(sessionPath(session.id, `/${action}`))));
    const failed = results.flatMap((result, index) => (result.status === 'rejected' ? [`${chosen[index]!.id}: ${messageOf(result.reason)}`] : []));
    await Promise.all(chosen.map((session) => reload(session.id)));
    setBusy(false);
    setSelected(new Set());
    if (failed.length > 0) notify(`${action} failed for ${failed.join('; ')}`, 'bad');
    else notify(`${action === 'start' ? 'Starting' : 'Stopped'} ${chosen.length} session${chosen.length === 1 ? '' : 's'}`);
  };

  return html`<section class="overview">
    <div class="toolbar">
      <h1>Sessions <span class="count">${all.length}</span></h1>
      <a class="button primary" href="#/new">New session</a>
    </div>
    <div class="totals" role="group" aria-label="Sessions by status">
      <button class=${statusFilter === '' ? 'chip active' : 'chip'} aria-pressed=${statusFilter === ''} onClick=${() => setStatusFilter('')}>
        All <b>${all.length}</b>
      </button>
      ${STATUSES.filter((status) => totals.has(status)).map(
        (status) => html`<button
          class=${`chip chip-${statusTone(status)} ${statusFilter === status ? 'active' : ''}`}
          aria-pressed=${statusFilter === status}
          data-testid=${`total-${status}`}
          onClick=${() => setStatusFilter(statusFilter === status ? '' : status)}
        >
          ${statusLabel(status)} <b>${totals.get(status)}</b>
        </button>`,
      )}
    </div>
    <div class="filters">
      <label class="visually-hidden" for="session-search">Search sessions</label>
      <input id="session-search" type="search" placeholder="Search by id, phone or name" value=${query}
        onInput=${(event: Event) => setQuery((event.target as HTMLInputElement).value)} />
      <div class="bulk">
        <button disabled=${busy || chosen.length === 0} onClick=${() => bulk('start')}>Start selected</button>
        <button disabled=${busy || chosen.length === 0} onClick=${() => bulk('stop')}>Stop selected</button>
      </div>
    </div>
    ${loaded && all.length === 0
      ? html`<div class="empty card">
          <h2>No sessions yet</h2>
          <p>A session is one WhatsApp account. Create one, then scan its QR code with the phone.</p>
          <p>No phone at hand? Choose <b>Sandbox</b> in the form: a built-in fake WhatsApp with a phone you drive from here.</p>
          <a class="button primary" href="#/new">Create a session</a>
        </div>`
      : html`<table class="sessions">
          <thead>
            <tr>
              <th scope="col"><input type="checkbox" aria-label="Select all shown"
                checked=${shown.length > 0 && chosen.length === shown.length}
                onChange=${(event: Event) => setSelected((event.target as HTMLInputElement).checked ? new Set(shown.map((session) => session.id)) : new Set())} /></th>
              <th scope="col">Session</th>
              <th scope="col">Status</th>
              <th scope="col">Account</th>
              <th scope="col">Uptime</th>
              <th scope="col">Last activity</th>
              <th scope="col">Restarts</th>
              <th scope="col">Memory</th>
              <th scope="col">Processes</th>
            </tr>
          </thead>
          <tbody>
            ${shown.map((session) => {
              const measured = metrics.get(session.id);
              const since = workingSince(session);
              const active = lastActivity(lastEvent.get(session.id), measured);
              return html`<tr key=${session.id} data-session=${session.id}>
                <td><input type="checkbox" aria-label=${`Select ${session.id}`} checked=${selected.has(session.id)} onChange=${() => toggle(session.id)} /></td>
                <th scope="row" data-label="Session"><a href=${hrefOf({ page: 'session', id: session.id, tab: 'chat' })}>${session.id}</a>
                  ${session.config.sandbox && html` <span class="tag">sandbox</span>`}
                  ${session.instance && html` <span class="tag" title="The cluster instance that drives it">${session.instance}</span>`}</th>
                <td data-label="Status"><${StatusBadge} session=${session} /></td>
                <td data-label="Account">${session.me ? html`${phoneOf(session.me.id)} <span class="muted">${session.me.pushName}</span>` : html`<span class="muted">not linked</span>`}</td>
                <td data-label="Uptime">${since === undefined ? '–' : duration(Math.round((Math.max(now, Date.now()) - since) / 1000))}</td>
                <td data-label="Last activity">${active === undefined ? '–' : ago(active, now)}</td>
                <td data-label="Restarts">${measured?.restarts ?? 0}</td>
                <td data-label="Memory">${mebibytes(measured?.pssBytes || undefined)}</td>
                <td data-label="Processes">${measured?.processes || '–'}</td>
              </tr>`;
            })}
          </tbody>
        </table>`}
    ${all.length > 0 && shown.length === 0 && html`<p class="muted">No session matches.</p>`}
  </section>`;
}

import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { messageOf, seg, sessionPath } from './api.js';
import { useCoalesced, useDashboard, useSessionEvents } from './context.js';
import { clock, dateTime } from './format.js';
import type { Delivery, Envelope, LogLine, Session } from './types.js';

function summary(envelope: Envelope): string {
  const payload = envelope.payload;
  switch (envelope.event) {
    case 'session.status':
      return `${String(payload.from)} → ${String(payload.to)}: ${String(payload.reason ?? '')}`;
    case 'message':
    case 'message.sent':
      return `${envelope.event === 'message' ? String(payload.from) : `to ${String(payload.to)}`}: ${String(payload.body || `[${String(payload.type)}]`)}`;
    case 'message.reaction':
      return `${String(payload.reaction) || 'removed'} by ${String(payload.senderId)}`;
    case 'message.ack':
      return `ack ${String(payload.ack)} for ${String(payload.messageId)}`;
    default:
      return '';
  }
}

const EVENT_FILTERS = ['', 'session.status', 'message', 'message.sent', 'message.ack', 'message.reaction', 'message.edited', 'message.revoked', 'qr', 'group.join', 'group.leave', 'state.change'];

/** The session's durable event log, newest first, filtered by type; new events come in live at the top. */
export function EventsPanel({ session }: { session: Session }) {
  const { api, notify } = useDashboard();
  const [type, setType] = useState('');
  const [events, setEvents] = useState<Envelope[]>([]);
  const [more, setMore] = useState(false);
  const page = 50;

  const wanted = useRef(type);
  wanted.current = type;
  const load = useCallback(
    async (before?: string) => {
      const query = new URLSearchParams({ newest: 'true', limit: String(page), ...(before ? { before } : {}), ...(type ? { events: type } : {}) });
      try {
        const answer = await api.get<{ events: Envelope[] }>(sessionPath(session.id, `/events?${query.toString()}`));
        if (wanted.current !== type) return; // the filter changed meanwhile: this answer is for the old one
        setEvents((shown) => (before ? [...shown, ...answer.events] : answer.events));
        setMore(answer.events.length === page);
      } catch (error) {
        notify(`Events: ${messageOf(error)}`, 'bad');
      }
    },
    [api, session.id, type, notify],
  );
  useEffect(() => void load(), [load]);
  useSessionEvents(session.id, (envelope) => {
    if (type === '' || envelope.event === type) setEvents((shown) => (shown.some((known) => known.id === envelope.id) ? shown : [envelope, ...shown]));
  });

  return html`<section aria-label="Event log">
    <div class="toolbar">
      <label for="event-type">Type</label>
      <select id="event-type" value=${type} onChange=${(event: Event) => setType((event.target as HTMLSelectElement).value)}>
        ${EVENT_FILTERS.map((name) => html`<option value=${name}>${name || 'every event'}</option>`)}
      </select>
    </div>
    <ol class="events" data-testid="events">
      ${events.map(
        (envelope) => html`<li key=${envelope.id}>
          <details>
            <summary><time datetime=${envelope.timestamp}>${clock(envelope.timestamp)}</time> <code>${envelope.event}</code> <span class="muted">${summary(envelope)}</span></summary>
            <pre>${JSON.stringify(envelope, null, 2)}</pre>
          </details>
        </li>`,
      )}
    </ol>
    ${events.length === 0 && html`<p class="muted">No events${type ? ` of type ${type}` : ''}.</p>`}
    ${more && html`<button onClick=${() => load(events.at(-1)?.id)}>Older events</button>`}
  </section>`;
}

/** What went wrong last: the error as the dispatcher wrote it (it names the HTTP status), else the status. */
function lastErrorOf(delivery: Delivery): string {
  return delivery.lastError ?? (delivery.lastStatusCode ? `HTTP ${delivery.lastStatusCode}` : '');
}

/** Webhook deliveries with their attempts and last error; a failed one can be sent again. */
export function WebhooksPanel({ session }: { session: Session }) {
  const { api, notify } = useDashboard();
  const [deliveries, setDeliveries] = useState<Delivery[]>([]);
  const [problem, setProblem] = useState<string>();
  const read = useCallback(() => {
    api
      .get<{ deliveries: Delivery[] }>(sessionPath(session.id, '/webhooks/deliveries?limit=100'))
      .then((answer) => {
        setDeliveries(answer.deliveries);
        setProblem(undefined);
      })
      .catch((error: unknown) => setProblem(messageOf(error))); // shown in place: a key without control gets 403 on every read
  }, [api, session.id]);
  useEffect(read, [read]);
  const soon = useCoalesced(read, 500);
  useSessionEvents(session.id, soon);
  // attempts are made without an event to tell of them: while some are pending, read again now and then
  const pending = deliveries.some((delivery) => delivery.status === 'pending');
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(read, 3000);
    return () => clearInterval(timer);
  }, [pending, read]);

  const retry = async (delivery: Delivery) => {
    try {
      await api.post(sessionPath(session.id, `/webhooks/deliveries/${seg(delivery.deliveryId)}/retry`));
      notify('Delivering again');
      read();
    } catch (error) {
      notify(`Retry: ${messageOf(error)}`, 'bad');
    }
  };

  const webhooks = session.config.webhooks ?? [];
  const counts = new Map<string, number>();
  for (const delivery of deliveries) counts.set(delivery.status, (counts.get(delivery.status) ?? 0) + 1);
  // each webhook delivers in order: the oldest pending delivery that was tried is the one holding the others up
  const stuck = deliveries.filter((delivery) => delivery.status === 'pending' && delivery.attempts > 0);
  if (problem) return html`<section aria-label="Webhook deliveries"><p class="error">${problem}</p></section>`;
  return html`<section aria-label="Webhook deliveries">
    <p class="muted">${webhooks.length === 0 && !session.config.webhookUrl ? 'No webhook: add one under Config.' : `Sent to ${[...webhooks.map((hook) => hook.url), ...(session.config.webhookUrl ? [session.config.webhookUrl] : [])].join(', ')}`}</p>
    ${deliveries.length > 0 &&
    html`<p data-testid="delivery-summary">${[...counts].map(([status, count]) => `${count} ${status}`).join(' · ')}${stuck.map(
      (delivery) => html`<br /><span class="error-text">${delivery.event} tried ${delivery.attempts} time${delivery.attempts === 1 ? '' : 's'}, last: ${lastErrorOf(delivery)}; the next ones wait for it</span>`,
    )}</p>`}
    <div class="table-scroll">
      <table class="deliveries" data-testid="deliveries">
        <thead><tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">Updated</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
        <tbody>
          ${deliveries.map(
            (delivery) => html`<tr key=${delivery.deliveryId} data-delivery=${delivery.deliveryId} data-status=${delivery.status}>
              <td><code>${delivery.event}</code><br /><span class="muted">${delivery.url}</span></td>
              <td><span class=${`badge badge-${delivery.status === 'delivered' ? 'ok' : delivery.status === 'failed' ? 'bad' : delivery.status === 'pending' ? 'busy' : 'idle'}`}>${delivery.status}</span></td>
              <td class="attempts">${delivery.attempts}</td>
              <td>${lastErrorOf(delivery)}
                ${delivery.status === 'pending' && delivery.attempts > 0 && html`<br /><span class="muted">next at ${clock(delivery.nextAttemptAt)}</span>`}</td>
              <td>${dateTime(delivery.updatedAt)}</td>
              <td>${(delivery.status === 'failed' || delivery.status === 'cancelled' || (delivery.status === 'pending' && delivery.attempts > 0)) &&
                html`<button onClick=${() => retry(delivery)}>Retry</button>`}
                ${delivery.status === 'pending' && delivery.attempts === 0 && html`<span class="muted">queued</span>`}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${deliveries.length === 0 && html`<p class="muted">No deliveries yet.</p>`}
  </section>`;
}

/** The session's recent log lines, read again whenever the session does something. */
export function LogsPanel({ session }: { session: Session }) {
  const { api, notify } = useDashboard();
  const [lines, setLines] = useState<LogLine[]>([]);
  const read = useCallback(() => {
    api
      .get<{ logs: LogLine[] }>(sessionPath(session.id, '/logs?limit=200'))
      .then((answer) => setLines(answer.logs))
      .catch((error: unknown) => notify(`Logs: ${messageOf(error)}`, 'bad'));
  }, [api, session.id, notify]);
  useEffect(read, [read, session.status]);
  useSessionEvents(session.id, useCoalesced(read, 500));
  return html`<section aria-label="Logs">
    <div class="toolbar"><button onClick=${read}>Refresh</button></div>
    <ol class="logs" data-testid="logs">
      ${lines.map(
        (line, index) => html`<li key=${index} class=${`log-${line.level}`}><time datetime=${line.at}>${dateTime(line.at)}</time> <b>${line.level}</b> ${line.message}</li>`,
      )}
    </ol>
    ${lines.length === 0 && html`<p class="muted">No log lines yet.</p>`}
  </section>`;
}

import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';
import type { ApiError } from './api.js';

/** The server's message for a field and everything under it (webhooks.0.url belongs to webhooks.0). */
export function issueFor(error: ApiError | undefined, field: string): string | undefined {
  return error?.issues
    .filter((issue) => {
      const path = issue.path.replace(/^config\./, '');
      return path === field || path.startsWith(`${field}.`);
    })
    .map((issue) => issue.message)
    .join('; ') || undefined;
}


interface FieldProps {
  name: string;
  label: string;
  hint?: string;
  error?: string;
  children: (id: string, describedBy: string | undefined) => ComponentChildren;
}

/** A label, the control, a hint, and the server's error for it, tied together for screen readers. */
export function Field({ name, label, hint, error, children }: FieldProps) {
  const id = `field-${name.replace(/[^a-zA-Z0-9]/g, '-')}-${useId()}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return html`<div class=${error ? 'field invalid' : 'field'} data-field=${name}>
    <label for=${id}>${label}</label>
    ${children(id, describedBy)}
    ${hint && html`<small id=${hintId} class="hint">${hint}</small>`}
    ${error && html`<small id=${errorId} class="field-error" role="alert">${error}</small>`}
  </div>`;
}

export const valueOf = (event: Event): string => (event.target as HTMLInputElement).value;
export const checkedOf = (event: Event): boolean => (event.target as HTMLInputElement).checked;

import { html } from 'htm/preact';
import { useId, useRef } from 'preact/hooks';

interface ConfirmProps {
  label: string;
  /** What the dialog asks, in words that say what will be lost. */
  question: string;
  confirmLabel: string;
  disabled?: boolean;
  onConfirm: () => void;
}

/** A button for something that cannot be undone: it asks first, in a modal dialog the keyboard can leave with Escape. */
export function ConfirmButton({ label, question, confirmLabel, disabled, onConfirm }: ConfirmProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const questionId = `confirm-${useId()}`;
  return html`<button type="button" class="danger" disabled=${disabled} onClick=${() => dialog.current?.showModal()}>${label}</button>
    <dialog ref=${dialog} class="confirm" aria-label=${label} aria-describedby=${questionId}>
      <form method="dialog">
        <p id=${questionId}>${question}</p>
        <div class="actions">
          <button value="cancel" autofocus>Cancel</button>
          <button value="confirm" class="danger primary" onClick=${(event: Event) => {
            event.preventDefault();
            dialog.current?.close();
            onConfirm();
          }}>${confirmLabel}</button>
        </div>
      </form>
    </dialog>`;
}

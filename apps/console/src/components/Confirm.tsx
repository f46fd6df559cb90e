import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/** A modal <dialog>: focus moves into it, Escape closes it, nothing happens until the operator confirms. */
export function Modal(props: { title: string; open: boolean; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} aria-labelledby="modal-title" onClose={props.onClose} onCancel={props.onClose}>
      <h2 id="modal-title">{props.title}</h2>
      {props.open && props.children}
    </dialog>
  );
}

export function Confirm(props: { title: string; open: boolean; confirmLabel: string; danger?: boolean; busy?: boolean; onConfirm: () => void; onClose: () => void; children: ComponentChildren }) {
  return (
    <Modal title={props.title} open={props.open} onClose={props.onClose}>
      <div class="confirm-body">{props.children}</div>
      <div class="actions">
        <button type="button" class="ghost" onClick={props.onClose} autoFocus>
          Keep as it is
        </button>
        <button type="button" class={props.danger ? 'danger' : 'primary'} disabled={props.busy} onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </Modal>
  );
}

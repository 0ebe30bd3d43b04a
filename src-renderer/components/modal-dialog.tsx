/*
 * An in-page modal dialog on the native <dialog> element (showModal gives the focus trap, Escape and an inert
 * page for free), named by its title. Used by both hosts: the browser host has no native dialogs, and the same
 * dialog keeps the Electron app's behaviour identical.
 */
import { useId, useLayoutEffect, useRef, type ReactNode } from 'react';

export interface ModalDialogProps {
  title: string;
  onClose(): void;
  children: ReactNode;
  /** The element to focus first (a CSS selector inside the dialog); the first focusable one otherwise. */
  initialFocus?: string;
  describedBy?: string;
  className?: string;
}

export function ModalDialog({ title, onClose, children, initialFocus, describedBy, className }: ModalDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  // A layout effect, so the cleanup closes the <dialog> while it is still in the document: the owner's layout
  // effects in the same commit then see the focus where closing left it.
  useLayoutEffect(() => {
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    if (initialFocus) dialog.querySelector<HTMLElement>(initialFocus)?.focus();
    return () => dialog.close();
  }, [initialFocus]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-describedby={describedBy}
      className={`modal-dialog ${className ?? ''}`}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId} className="dialog-title">
        {title}
      </h2>
      {children}
    </dialog>
  );
}

/*
 * The foot every action dialog ends with: the last error as an alert (announced when it appears), then the button
 * row with the dialog's own action first and Cancel last. The action button is the caller's, since a dialog's action
 * differs (a submit, a danger button with its own handler); Cancel carries `dialog-cancel` so a dialog can focus it
 * first (kill does, so Enter never kills by accident).
 */
import type { ReactNode } from 'react';

export function DialogFooter({ error, onCancel, children }: { error: string | null; onCancel(): void; children: ReactNode }) {
  return (
    <>
      {error && (
        <p role="alert" className="dialog-error">
          {error}
        </p>
      )}
      <div className="dialog-buttons">
        {children}
        <button type="button" className="dialog-cancel" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </>
  );
}

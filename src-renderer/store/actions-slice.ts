/*
 * The row actions' UI state: which dialog is open (confirm a kill, create a dump, capture, properties), the one-line
 * notices actions leave (a failed suspend), and what the host can do (from get-app-info), so the menu and the
 * jobs panel hide what this host cannot offer. A dialog holds a copy of its row, taken when it opened.
 */
import type { StateCreator } from 'zustand';
import type { HostCapabilities } from '../../src-shared/ipc/contract';
import type { CaptureRule } from '../../src-shared/model/capture';
import type { DumpKind } from '../../src-shared/model/dump';
import type { ProcessRow } from '../../src-shared/model/process';

export type ActionDialog =
  | { type: 'confirm-kill'; row: ProcessRow; tree: boolean }
  | { type: 'dump'; row: ProcessRow; kind: DumpKind; tree: boolean }
  /** Capture… (scope self) and Capture Children… (scope descendants): the dialog proposes that scope. */
  | { type: 'capture'; row: ProcessRow; scope: CaptureRule['scope'] }
  | { type: 'properties'; row: ProcessRow };

export interface Notice {
  id: number;
  text: string;
}

export interface ActionsSlice {
  dialog: ActionDialog | null;
  notices: Notice[];
  capabilities: HostCapabilities | null;
  openDialog(dialog: ActionDialog): void;
  closeDialog(): void;
  notify(text: string): void;
  dismissNotice(id: number): void;
  setCapabilities(capabilities: HostCapabilities): void;
}

let nextNoticeId = 1;
/** A notice list that grows without bound would bury the window; the oldest go first. */
const MAX_NOTICES = 3;

export const createActionsSlice: StateCreator<ActionsSlice, [], [], ActionsSlice> = (set, get) => ({
  dialog: null,
  notices: [],
  capabilities: null,
  openDialog: (dialog) => set({ dialog: { ...dialog, row: { ...dialog.row } } }),
  closeDialog: () => set({ dialog: null }),
  notify: (text) => set({ notices: [...get().notices, { id: nextNoticeId++, text }].slice(-MAX_NOTICES) }),
  dismissNotice: (id) => set({ notices: get().notices.filter((n) => n.id !== id) }),
  setCapabilities: (capabilities) => set({ capabilities }),
});

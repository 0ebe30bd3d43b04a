/*
 * The row context menu's entries, in Process Explorer's words and order: the hook point where features add row
 * actions. An entry gets the row it was opened on and the action context; it must not hold on to the row (live
 * data). Destructive entries only open a confirmation; dump entries open the dump dialog, Capture… and Capture
 * Children… the capture dialog.
 */
import type { HostCapabilities } from '../../src-shared/ipc/contract';
import type { ProcessRow } from '../../src-shared/model/process';
import type { ProcscopeApi } from '../api/procscope-api';
import { columnDef, COLUMNS } from '../format/columns';
import type { ActionDialog } from '../store/actions-slice';

export interface RowMenuContext {
  api: ProcscopeApi;
  capabilities: HostCapabilities | null;
  openDialog(dialog: ActionDialog): void;
  notify(text: string): void;
  /** The row is an exited process kept visible: only entries that work without a live process stay enabled. */
  exited?: boolean;
}

export interface RowMenuItem {
  kind: 'item';
  id: string;
  label: string;
  isEnabled?(row: ProcessRow, context: RowMenuContext): boolean;
  /** Enabled on an exited row too (copying what the row showed). */
  worksWhenExited?: boolean;
  run(row: ProcessRow, context: RowMenuContext): void | Promise<void>;
}

export interface RowSubmenu {
  kind: 'submenu';
  id: string;
  label: string;
  isEnabled?(row: ProcessRow, context: RowMenuContext): boolean;
  items: RowMenuItem[];
}

export type RowMenuEntry = RowMenuItem | RowSubmenu | { kind: 'separator'; id: string };

const copy = (text: string) => void navigator.clipboard?.writeText(text).catch(() => {});

/** Copy: every column of the row as "Label: value" lines, as the Properties dialog shows them. */
export function rowAsText(row: ProcessRow): string {
  return COLUMNS.map((c) => [c.label, columnDef(c.id).format(row)] as const)
    .filter(([, value]) => value !== '')
    .map(([label, value]) => `${label}: ${value}`)
    .join('\n');
}

const canDump = (_row: ProcessRow, context: RowMenuContext) => (context.capabilities?.dumpFormat ?? 'none') !== 'none';
const isStopped = (row: ProcessRow) => row.state === 'stopped';
const canCapture = (_row: ProcessRow, context: RowMenuContext) => context.capabilities?.capture ?? false;

function rowAction(verb: string, channel: 'procscope:suspend-process' | 'procscope:resume-process') {
  return async (row: ProcessRow, context: RowMenuContext) => {
    try {
      await context.api.request(channel, { pid: row.pid, startTimeMs: row.startTimeMs });
    } catch (err) {
      context.notify(`${row.name} (PID ${row.pid}) could not be ${verb}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}

const dumpItem = (id: string, label: string, kind: 'full' | 'mini', tree: boolean): RowMenuItem => ({
  kind: 'item',
  id,
  label,
  isEnabled: canDump,
  run: (row, context) => context.openDialog({ type: 'dump', row, kind, tree }),
});

export const ROW_MENU_ENTRIES: RowMenuEntry[] = [
  { kind: 'item', id: 'kill', label: 'Kill Process', run: (row, c) => c.openDialog({ type: 'confirm-kill', row, tree: false }) },
  { kind: 'item', id: 'kill-tree', label: 'Kill Process Tree', run: (row, c) => c.openDialog({ type: 'confirm-kill', row, tree: true }) },
  {
    kind: 'item',
    id: 'suspend',
    label: 'Suspend',
    isEnabled: (row, c) => (c.capabilities?.suspend ?? true) && !isStopped(row),
    run: rowAction('suspended', 'procscope:suspend-process'),
  },
  {
    kind: 'item',
    id: 'resume',
    label: 'Resume',
    isEnabled: (row, c) => (c.capabilities?.suspend ?? true) && isStopped(row),
    run: rowAction('resumed', 'procscope:resume-process'),
  },
  { kind: 'separator', id: 'sep-dump' },
  {
    kind: 'submenu',
    id: 'create-dump',
    label: 'Create Dump',
    isEnabled: canDump,
    items: [dumpItem('create-minidump', 'Create Minidump…', 'mini', false), dumpItem('create-full-dump', 'Create Full Dump…', 'full', false)],
  },
  {
    kind: 'submenu',
    id: 'dump-tree',
    label: 'Dump Process Tree',
    isEnabled: canDump,
    items: [dumpItem('dump-tree-mini', 'Minidumps…', 'mini', true), dumpItem('dump-tree-full', 'Full Dumps…', 'full', true)],
  },
  {
    kind: 'item',
    id: 'capture',
    label: 'Capture…',
    isEnabled: canCapture,
    run: (row, c) => c.openDialog({ type: 'capture', row, scope: 'self' }),
  },
  {
    kind: 'item',
    id: 'capture-children',
    label: 'Capture Children…',
    isEnabled: canCapture,
    run: (row, c) => c.openDialog({ type: 'capture', row, scope: 'descendants' }),
  },
  { kind: 'separator', id: 'sep-copy' },
  { kind: 'item', id: 'copy', label: 'Copy', worksWhenExited: true, run: (row) => copy(rowAsText(row)) },
  { kind: 'item', id: 'copy-pid', label: 'Copy PID', worksWhenExited: true, run: (row) => copy(String(row.pid)) },
  {
    kind: 'item',
    id: 'copy-command-line',
    label: 'Copy Command Line',
    worksWhenExited: true,
    isEnabled: (row) => row.commandLine !== null,
    run: (row) => copy(row.commandLine ?? ''),
  },
  { kind: 'separator', id: 'sep-properties' },
  { kind: 'item', id: 'properties', label: 'Properties', run: (row, c) => c.openDialog({ type: 'properties', row }) },
];

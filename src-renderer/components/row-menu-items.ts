/*
 * The row context menu's items: the hook point where features add row actions (the dump jobs add "Create Dump"
 * here). An item gets the row it was opened on and the api; it must not hold on to the row, which is live data.
 */
import type { ProcessRow } from '../../src-shared/model/process';
import type { ProcscopeApi } from '../api/procscope-api';

export interface RowMenuItem {
  id: string;
  label: string;
  isEnabled?(row: ProcessRow): boolean;
  run(row: ProcessRow, api: ProcscopeApi): void | Promise<void>;
}

const copy = (text: string) => void navigator.clipboard?.writeText(text).catch(() => {});

export const ROW_MENU_ITEMS: RowMenuItem[] = [
  { id: 'copy-pid', label: 'Copy PID', run: (row) => copy(String(row.pid)) },
  {
    id: 'copy-command-line',
    label: 'Copy Command Line',
    isEnabled: (row) => row.commandLine !== null,
    run: (row) => copy(row.commandLine ?? ''),
  },
];

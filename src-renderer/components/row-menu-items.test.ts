import { describe, expect, it } from 'vitest';
import type { HostCapabilities } from '../../src-shared/ipc/contract';
import type { ProcscopeApi } from '../api/procscope-api';
import type { ActionDialog } from '../store/actions-slice';
import { testRow } from '../store/test-rows';
import { ROW_MENU_ENTRIES, rowAsText, type RowMenuContext, type RowMenuItem } from './row-menu-items';

const CAPS: HostCapabilities = { suspend: true, dumpFormat: 'elf-core', chooseFolder: false, showInFolder: false, capture: true, openDumpDialog: false, saveReportDialog: false };

function context(capabilities: HostCapabilities | null = CAPS, fail?: string) {
  const dialogs: ActionDialog[] = [];
  const notices: string[] = [];
  const requests: { channel: string; args: unknown }[] = [];
  const api = {
    request: async (channel: string, args: unknown) => {
      requests.push({ channel, args });
      if (fail) throw new Error(fail);
      return null;
    },
  } as unknown as ProcscopeApi;
  const ctx: RowMenuContext = { api, capabilities, openDialog: (d) => dialogs.push(d), notify: (t) => notices.push(t) };
  return { ctx, dialogs, notices, requests };
}

function item(id: string): RowMenuItem {
  for (const e of ROW_MENU_ENTRIES) {
    if (e.kind === 'item' && e.id === id) return e;
    if (e.kind === 'submenu') for (const sub of e.items) if (sub.id === id) return sub;
  }
  throw new Error(`no item ${id}`);
}

describe('row menu entries', () => {
  it("uses Process Explorer's words in its order", () => {
    expect(ROW_MENU_ENTRIES.filter((e) => e.kind !== 'separator').map((e) => e.label)).toEqual([
      'Kill Process',
      'Kill Process Tree',
      'Suspend',
      'Resume',
      'Create Dump',
      'Dump Process Tree',
      'Capture…',
      'Capture Children…',
      'Copy',
      'Copy PID',
      'Copy Command Line',
      'Properties',
    ]);
    const submenus = ROW_MENU_ENTRIES.flatMap((e) => (e.kind === 'submenu' ? [[e.label, e.items.map((i) => i.label)]] : []));
    expect(submenus).toEqual([
      ['Create Dump', ['Create Minidump…', 'Create Full Dump…']],
      ['Dump Process Tree', ['Minidumps…', 'Full Dumps…']],
    ]);
  });

  it('kills only through a confirmation dialog, and dumps through the dump dialog', async () => {
    const { ctx, dialogs, requests } = context();
    const row = testRow(42, 1, 'worker');
    await item('kill').run(row, ctx);
    await item('kill-tree').run(row, ctx);
    await item('dump-tree-full').run(row, ctx);
    await item('create-minidump').run(row, ctx);
    expect(requests).toEqual([]);
    expect(dialogs.map((d) => ({ ...d, row: d.row.pid }))).toEqual([
      { type: 'confirm-kill', row: 42, tree: false },
      { type: 'confirm-kill', row: 42, tree: true },
      { type: 'dump', row: 42, kind: 'full', tree: true },
      { type: 'dump', row: 42, kind: 'mini', tree: false },
    ]);
  });

  it('offers Suspend or Resume by the process state, and reports a refusal as a notice', async () => {
    const running = testRow(7, 1, 'svc', { state: 'sleeping' });
    const stopped = testRow(8, 1, 'svc', { state: 'stopped' });
    const { ctx, notices, requests } = context(CAPS, 'Access is denied.');
    expect([item('suspend').isEnabled!(running, ctx), item('resume').isEnabled!(running, ctx)]).toEqual([true, false]);
    expect([item('suspend').isEnabled!(stopped, ctx), item('resume').isEnabled!(stopped, ctx)]).toEqual([false, true]);
    await item('suspend').run(running, ctx);
    expect(requests).toEqual([{ channel: 'procscope:suspend-process', args: { pid: 7, startTimeMs: running.startTimeMs } }]);
    expect(notices).toEqual(['svc (PID 7) could not be suspended: Access is denied.']);
  });

  it('greys out the dump entries where the host cannot dump', () => {
    const row = testRow(9, 1, 'x');
    const dumps = ROW_MENU_ENTRIES.filter((e) => e.kind === 'submenu');
    expect(dumps.map((e) => e.isEnabled!(row, context({ ...CAPS, dumpFormat: 'none' }).ctx))).toEqual([false, false]);
    expect(dumps.map((e) => e.isEnabled!(row, context().ctx))).toEqual([true, true]);
  });

  it('opens the capture dialog for the process itself or its children, only where the host can capture', async () => {
    const { ctx, dialogs, requests } = context();
    const row = testRow(42, 1, 'Tentacle');
    await item('capture').run(row, ctx);
    await item('capture-children').run(row, ctx);
    expect(requests).toEqual([]);
    expect(dialogs.map((d) => ({ ...d, row: d.row.pid }))).toEqual([
      { type: 'capture', row: 42, scope: 'self' },
      { type: 'capture', row: 42, scope: 'descendants' },
    ]);
    const enabled = (caps: HostCapabilities | null) => ['capture', 'capture-children'].map((id) => item(id).isEnabled!(row, context(caps).ctx));
    expect(enabled(CAPS)).toEqual([true, true]);
    expect(enabled({ ...CAPS, capture: false })).toEqual([false, false]);
    // Until get-app-info answered, nothing says capture runs here.
    expect(enabled(null)).toEqual([false, false]);
  });

  it('copies the row as labelled lines, leaving out unknown values', () => {
    const text = rowAsText(testRow(42, 1, 'worker', { user: 'alice', commandLine: 'worker --fast', threadCount: 3 }));
    expect(text.split('\n')).toEqual(expect.arrayContaining(['Process: worker', 'PID: 42', 'User: alice', 'Command Line: worker --fast', 'Threads: 3', 'Parent PID: 1']));
    expect(text).not.toMatch(/Company Name/);
  });
});

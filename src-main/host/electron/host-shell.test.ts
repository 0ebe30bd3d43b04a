// The Electron HostShell over a fake dialog and shell: each dialog is parented to the main window when there is
// one, answers only what the user picked (null on cancel), and the open dialog is a file picker for dumps.
import { describe, expect, it } from 'vitest';
import type { BrowserWindow, OpenDialogOptions, SaveDialogOptions } from 'electron';
import { createElectronHostShell } from './host-shell';

function fakeElectron(answers: { open: { canceled: boolean; filePaths: string[] }; save: { canceled: boolean; filePath: string } }) {
  const calls: { kind: string; parent: unknown; options: OpenDialogOptions | SaveDialogOptions }[] = [];
  const dialog = {
    showOpenDialog: (async (a: unknown, b?: OpenDialogOptions) => {
      calls.push({ kind: 'open', parent: b ? a : null, options: (b ?? a) as OpenDialogOptions });
      return answers.open;
    }) as never,
    showSaveDialog: (async (a: unknown, b?: SaveDialogOptions) => {
      calls.push({ kind: 'save', parent: b ? a : null, options: (b ?? a) as SaveDialogOptions });
      return answers.save;
    }) as never,
  };
  const shown: string[] = [];
  return { dialog, calls, shell: { showItemInFolder: (p: string) => void shown.push(p) }, shown };
}

describe('Electron host shell', () => {
  it('asks for a dump file and a save path in dialogs parented to the window, and answers what was picked', async () => {
    const win = { id: 1 } as unknown as BrowserWindow;
    const e = fakeElectron({ open: { canceled: false, filePaths: ['/home/u/app.dmp'] }, save: { canceled: false, filePath: '/home/u/app.dmp.report.html' } });
    const hostShell = createElectronHostShell(e.dialog, e.shell, () => win);
    expect(await hostShell.chooseDumpFile('w1')).toBe('/home/u/app.dmp');
    expect(await hostShell.chooseSavePath('app.dmp.report.html', 'html', 'w1')).toBe('/home/u/app.dmp.report.html');
    expect(e.calls.map((c) => [c.kind, c.parent])).toEqual([['open', win], ['save', win]]);
    const open = e.calls[0]!.options as OpenDialogOptions;
    expect(open.properties).toContain('openFile');
    expect(open.properties).not.toContain('openDirectory');
    expect(open.filters?.[0]?.extensions).toEqual(['dmp', 'mdmp', 'core']);
    const save = e.calls[1]!.options as SaveDialogOptions;
    expect(save).toMatchObject({ defaultPath: 'app.dmp.report.html', filters: [{ extensions: ['html'] }] });
    hostShell.showItemInFolder('/x');
    expect(e.shown).toEqual(['/x']);
  });

  it('answers null when the user cancels, and works without a window', async () => {
    const e = fakeElectron({ open: { canceled: true, filePaths: [] }, save: { canceled: true, filePath: '' } });
    const hostShell = createElectronHostShell(e.dialog, e.shell, () => null);
    expect(await hostShell.chooseDumpFile('w1')).toBeNull();
    expect(await hostShell.chooseSavePath('r.report.json', 'json', 'w1')).toBeNull();
    expect(await hostShell.chooseFolder('/data', 'w1')).toBeNull();
    expect(e.calls.map((c) => [c.kind, c.parent])).toEqual([['open', null], ['save', null], ['open', null]]);
    expect(e.calls[2]!.options).toMatchObject({ defaultPath: '/data', properties: ['openDirectory', 'createDirectory'] });
  });
});

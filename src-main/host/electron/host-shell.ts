/*
 * The Electron host's HostShell: native folder picker, Show in folder, the Analyze Dump… open dialog, the
 * report's Save dialog, and (handed in) the Properties windows. Thin on purpose — it only asks Electron's dialog and shell, parented to the main window,
 * and hands back the path the user picked; every path it returns comes from the dialog, never from the
 * renderer. Takes dialog and shell as arguments so the faked-Electron test can drive it. Electron main only.
 */
import type { BrowserWindow, Dialog, OpenDialogOptions, SaveDialogOptions, Shell } from 'electron';
import type { HostShell } from '../app-services';

type DialogLike = Pick<Dialog, 'showOpenDialog' | 'showSaveDialog'>;

export function createElectronHostShell(
  dialog: DialogLike,
  shell: Pick<Shell, 'showItemInFolder'>,
  window: () => BrowserWindow | null,
  openPropertiesWindow?: HostShell['openPropertiesWindow'],
): HostShell {
  const open = async (options: OpenDialogOptions): Promise<string | null> => {
    const win = window();
    const picked = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return picked.canceled ? null : (picked.filePaths[0] ?? null);
  };
  return {
    ...(openPropertiesWindow ? { openPropertiesWindow } : {}),
    chooseFolder: (defaultPath) =>
      open({ title: 'Choose the dump folder', properties: ['openDirectory', 'createDirectory'], ...(defaultPath ? { defaultPath } : {}) }),
    showItemInFolder: (path) => shell.showItemInFolder(path),
    chooseDumpFile: () =>
      open({
        title: 'Analyze Dump',
        properties: ['openFile', 'dontAddToRecent'],
        filters: [
          { name: 'Dumps (.dmp, .core)', extensions: ['dmp', 'mdmp', 'core'] },
          { name: 'All files', extensions: ['*'] },
        ],
      }),
    async chooseSavePath(defaultName, format) {
      const options: SaveDialogOptions = {
        title: format === 'html' ? 'Save report as HTML' : 'Save report as JSON',
        defaultPath: defaultName,
        filters: [format === 'html' ? { name: 'HTML page', extensions: ['html'] } : { name: 'JSON', extensions: ['json'] }],
        properties: ['showOverwriteConfirmation', 'createDirectory'],
      };
      const win = window();
      const picked = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      return picked.canceled || !picked.filePath ? null : picked.filePath;
    },
  };
}

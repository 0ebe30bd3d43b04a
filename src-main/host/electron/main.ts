/*
 * The Electron main process: one hardened window showing the renderer, the IPC handlers over the shared app
 * services (backend + poller + dump engine), the application menu, a single-instance lock and remembered window
 * bounds. Started with --procscope-helper it is the elevated dump helper instead and never opens a window. It
 * composes pieces from this folder and never puts Node or the backend within reach of the page.
 */
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, net, protocol, screen, shell } from 'electron';
import { createAppDumpEngine } from '../../dump/dump-engine-setup';
import { createPlatformElevator } from '../../dump/select-elevator';
import { checkHelperArgv, isHelperLaunch } from '../../dump/helper/helper-argv';
import { runHelperEntry } from '../../dump/helper/helper-entry';
import { defaultHelperCommand } from '../../dump/helper/helper-dump-writer';
import { createPlatformBackend } from '../../platform/select-backend';
import { createPoller } from '../../poller/poller';
import { createAppServices, type AppServices, type HostShell } from '../app-services';
import { createAppCaptureEngines } from '../capture-engine-setup';
import { createWorkerAnalysisRunner } from '../analysis-runner';
import { buildMenuTemplate } from './app-menu';
import { APP_INDEX_URL, APP_SCHEME_PRIVILEGES, handleAppProtocol } from './app-protocol';
import { createElectronHostShell } from './host-shell';
import { createPropertiesWindows, type PropertiesWindows } from './properties-windows';
import { registerIpcHandlers, senderForContents } from './ipc-bridge';
import { createSenderCheck } from './trusted-sender';
import { mainWindowOptions } from './window-options';
import { createAppUrlCheck, hardenWebContents } from './window-security';
import { loadWindowStateSync, saveWindowStateSync } from './window-state';

const rendererRoot = join(__dirname, '..', 'renderer');
const isAppUrl = createAppUrlCheck(APP_INDEX_URL);
const trustedContents = new Set<number>();
let mainWindow: BrowserWindow | null = null;
/** Made in start(), once the services exist (a closed window releases its subscriptions). */
let propertiesWindows: PropertiesWindows | null = null;

/**
 * The first thing this process does when started as the helper: the whole argv must be the helper's own grammar
 * (checkHelperArgv), else it exits 2 having done nothing. Switches Node and Chromium consume before any JS runs
 * (--inspect*, NODE_OPTIONS, --js-flags) are the fuses' job (electron-builder.yml), not this check's.
 */
function runHelperLaunch(): void {
  const stderr = (text: string) => void process.stderr.write(text);
  const checked = checkHelperArgv(process.argv, process.platform);
  if (!checked.ok) {
    stderr(`procscope helper: ${checked.error}\n`);
    app.exit(2);
    return;
  }
  runHelperEntry(checked.jobArgs, stderr).then(
    (code) => app.exit(code),
    (err: unknown) => {
      stderr(`procscope helper: ${err instanceof Error ? err.message : String(err)}\n`);
      app.exit(1);
    },
  );
}

function installMenu(services: AppServices): void {
  const build = () =>
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        buildMenuTemplate(services.getPollerState(), {
          setRefreshInterval: (ms) => services.setRefreshInterval(ms),
          togglePause: () => services.togglePause(),
          refreshNow: () => void services.poller.refreshNow(),
          sendCommand: (command) => services.broadcast('procscope:menu-command', { command }),
          showAbout: () =>
            void dialog.showMessageBox({
              type: 'info',
              title: 'About Procscope',
              message: `Procscope ${app.getVersion()}`,
              detail: `A process explorer that writes dumps real debuggers open.\nElectron ${process.versions.electron}, backend: ${services.appInfo.backendPlatform}.`,
            }),
        }),
      ),
    );
  services.onPollerStateChange(build);
  build();
}

function createMainWindow(services: AppServices): BrowserWindow {
  const stateFile = join(app.getPath('userData'), 'window-state.json');
  const state = loadWindowStateSync(stateFile, screen.getAllDisplays().map((d) => d.workArea));
  const win = new BrowserWindow(mainWindowOptions(join(__dirname, '..', 'preload', 'index.cjs'), state.bounds));
  const contentsId = win.webContents.id;
  trustedContents.add(contentsId);
  win.webContents.once('destroyed', () => {
    trustedContents.delete(contentsId);
    services.releaseSender(senderForContents({ id: contentsId, send: () => {}, isDestroyed: () => true }).id);
  });
  if (state.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  win.on('close', () => saveWindowStateSync(stateFile, { bounds: win.getNormalBounds(), maximized: win.isMaximized() }));
  // The Properties windows close with the main window (the app quits when the last window is gone).
  win.on('closed', () => propertiesWindows?.closeAll());
  void win.loadURL(APP_INDEX_URL);
  return win;
}

const hostShell: HostShell = createElectronHostShell(dialog, shell, () => mainWindow, (target) => propertiesWindows?.open(target));

async function start(): Promise<void> {
  handleAppProtocol(protocol, rendererRoot, (url) => net.fetch(url));
  app.on('web-contents-created', (_event, contents) =>
    hardenWebContents(contents, { isAppUrl, openExternal: (url) => void shell.openExternal(url) }),
  );
  const backend = await createPlatformBackend();
  const helperCommand = defaultHelperCommand({ execPath: process.execPath, isElectron: true, cliScriptPath: join(__dirname, 'cli.js') });
  const services = createAppServices({
    backend,
    poller: createPoller(backend),
    version: app.getVersion(),
    shell: hostShell,
    viewSettingsDir: app.getPath('userData'),
    analysisRunner: createWorkerAnalysisRunner(join(__dirname, 'analysis-worker.js')),
    // Its renderer, GPU and utility processes too: suspending the renderer would freeze the window that could resume it.
    hostPids: () => app.getAppMetrics().map((metric) => metric.pid),
    // Always the platform elevator here: the no-prompt test double is honoured only by the browser host.
    dumpEngineFactory: (readRows) =>
      createAppDumpEngine({
        configDir: app.getPath('userData'),
        readRows,
        helperCommand,
      }),
    // Every watch runs in the helper (this process has Chromium children a tracer's waitpid would steal).
    captureEngines: createAppCaptureEngines({ helperCommand, elevator: await createPlatformElevator() }),
  });
  propertiesWindows = createPropertiesWindows({
    createWindow: (options) => new BrowserWindow(options),
    preloadPath: join(__dirname, '..', 'preload', 'index.cjs'),
    indexUrl: APP_INDEX_URL,
    trust: (id) => trustedContents.add(id),
    release: (id) => {
      trustedContents.delete(id);
      services.releaseSender(senderForContents({ id, send: () => {}, isDestroyed: () => true }).id);
    },
  });
  registerIpcHandlers(ipcMain, services, createSenderCheck({ trustedWebContentsIds: () => trustedContents, isAppUrl }));
  installMenu(services);
  services.poller.start();
  mainWindow = createMainWindow(services);
  app.on('window-all-closed', () => {
    void services.dispose().finally(() => app.quit());
  });
}

if (isHelperLaunch(process.argv, process.env)) {
  // The elevated helper: one dump, then exit, before the single-instance lock (the app may be running) or a window.
  runHelperLaunch();
} else if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.enableSandbox();
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.whenReady().then(start).catch((err: unknown) => {
    dialog.showErrorBox('Procscope could not start', err instanceof Error ? err.message : String(err));
    app.exit(1);
  });
}

/*
 * How a host (Electron main, the browser host, the CLI) builds the dump engine as the app runs it: the platform
 * writer in a child process on Linux (its ptrace work holds the JS thread for up to ~1.2 s at a time), in-process
 * on Windows (MiniDumpWriteDump already runs on koffi's worker thread), the platform Elevator for "Retry as
 * administrator", and the settings file in the host's config folder. Hosts call this; they never pick writers.
 */
import type { ProcessRow } from '../../src-shared/model/process';
import { createDumpEngine, type DumpEngine } from './dump-engine';
import { createDumpSettingsStore } from './dump-settings';
import type { DumpWriter } from './dump-writer';
import type { Elevator } from './helper/elevator';
import { createChildProcessDumpWriter, type HelperCommand } from './helper/helper-dump-writer';
import { createPlatformElevator } from './select-elevator';
import { createPlatformDumpWriter } from './select-writer';

export interface AppDumpEngineOptions {
  /** Folder for dump-settings.json (Electron: app.getPath('userData')). */
  configDir: string;
  /** The poller's latest rows, for Dump Process Tree. */
  readRows: () => Promise<readonly ProcessRow[]>;
  /** How to start this app as the helper: defaultHelperCommand({ execPath, isElectron, cliScriptPath }). */
  helperCommand: HelperCommand;
  /** Replaces the prompting Elevator, e.g. with createDirectElevator() in tests; null turns the retry off. */
  elevator?: Elevator | null;
  /** Where jobs run; by default a child process on Linux and the main process on Windows. */
  runJobsIn?: 'child-process' | 'main-process';
  platform?: NodeJS.Platform;
}

export async function createAppDumpEngine(options: AppDumpEngineOptions): Promise<DumpEngine> {
  const platform = options.platform ?? process.platform;
  const uid = typeof process.getuid === 'function' && platform !== 'win32' ? process.getuid() : null;
  const format: DumpWriter['format'] = platform === 'win32' ? 'minidump' : 'elf-core';
  const runJobsIn = options.runJobsIn ?? (platform === 'linux' ? 'child-process' : 'main-process');
  const elevator = options.elevator === undefined ? await createPlatformElevator(platform) : options.elevator;
  return createDumpEngine({
    writerFactory:
      runJobsIn === 'child-process'
        ? async () => createChildProcessDumpWriter({ command: options.helperCommand, uid, format, platform })
        : () => createPlatformDumpWriter(platform),
    readRows: options.readRows,
    ...(elevator ? { elevation: { elevator, command: options.helperCommand, uid } } : {}),
    settingsStore: createDumpSettingsStore({ configDir: options.configDir, platform }),
  });
}

/*
 * How a host (Electron main, `procscope serve`) gets the engines its capture watches run on: both start the app's
 * own executable as the helper with a watch job, so the tracer never runs in the host process (Electron main and
 * the browser host have children of their own that a tracer's waitpid would steal). Unelevated, the helper runs
 * with the host's rights through the direct elevator; elevated, through the same Elevator the dump engine uses for
 * "Retry as administrator". Hosts call this; they never pick an engine or an elevator here.
 */
import { createHelperCaptureEngine } from '../capture/helper/helper-capture-engine';
import { createDirectElevator } from '../dump/helper/direct-elevator';
import type { Elevator } from '../dump/helper/elevator';
import type { HelperCommand } from '../dump/helper/helper-dump-writer';
import type { CaptureEngineFactories } from './capture-services';

export interface AppCaptureEngineOptions {
  /** How to start this app as the helper: defaultHelperCommand({ execPath, isElectron, cliScriptPath }). */
  helperCommand: HelperCommand;
  /** The prompting elevator (pkexec / UAC), or the browser host's test double; null: no watch can be elevated. */
  elevator: Elevator | null;
  platform?: NodeJS.Platform;
  /** The helper's environment (its TMPDIR holds the channel's private folder); this process's own by default. */
  env?: NodeJS.ProcessEnv;
}

export function createAppCaptureEngines(options: AppCaptureEngineOptions): CaptureEngineFactories {
  const platform = options.platform ?? process.platform;
  const uid = typeof process.getuid === 'function' && platform !== 'win32' ? process.getuid() : null;
  const common = { command: options.helperCommand, uid, platform, ...(options.env ? { env: options.env } : {}) };
  const direct = createHelperCaptureEngine({ ...common, elevator: createDirectElevator(options.env ? { env: options.env } : {}) });
  const elevator = options.elevator;
  return {
    direct: async () => direct,
    elevated: elevator ? async () => createHelperCaptureEngine({ ...common, elevator }) : null,
  };
}

/*
 * How `procscope serve` builds its dump engine: settings in a per-user config folder (PROCSCOPE_CONFIG_DIR wins,
 * so tests never write into $HOME), jobs through the built CLI's `helper` command, and the platform elevator for
 * "Retry as administrator". PROCSCOPE_TEST_ELEVATOR=direct swaps the prompting elevator for the no-prompt test
 * double: TEST ONLY (CI cannot answer pkexec), honoured by the browser host and never by the Electron app.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createAppDumpEngine } from '../../dump/dump-engine-setup';
import { createDirectElevator } from '../../dump/helper/direct-elevator';
import { defaultHelperCommand } from '../../dump/helper/helper-dump-writer';
import type { DumpEngineFactory } from '../dump-services';

export const CONFIG_DIR_ENV = 'PROCSCOPE_CONFIG_DIR';
export const TEST_ELEVATOR_ENV = 'PROCSCOPE_TEST_ELEVATOR';

/** $PROCSCOPE_CONFIG_DIR, else %APPDATA%\Procscope on Windows, else $XDG_CONFIG_HOME/procscope or ~/.config/procscope. */
export function serveConfigDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  const override = env[CONFIG_DIR_ENV];
  if (override) {
    if (!override.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(override)) {
      throw new Error(`${CONFIG_DIR_ENV} must be an absolute folder, not '${override}'.`);
    }
    return override;
  }
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'Procscope');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'procscope');
}

export function createServeDumpEngineFactory(options: {
  env: NodeJS.ProcessEnv;
  /** The built CLI bundle (out/main/cli.js) that `node … helper` runs. */
  cliScriptPath: string;
  platform?: NodeJS.Platform;
}): DumpEngineFactory {
  const platform = options.platform ?? process.platform;
  return async (readRows) => {
    const testElevator = options.env[TEST_ELEVATOR_ENV];
    if (testElevator !== undefined && testElevator !== '' && testElevator !== 'direct') {
      throw new Error(`${TEST_ELEVATOR_ENV} may only be 'direct' (a test double) or unset, not '${testElevator}'.`);
    }
    return createAppDumpEngine({
      configDir: serveConfigDir(options.env, platform),
      readRows,
      helperCommand: defaultHelperCommand({ execPath: process.execPath, isElectron: false, cliScriptPath: options.cliScriptPath, platform }),
      platform,
      ...(testElevator === 'direct' ? { elevator: createDirectElevator() } : {}),
    });
  };
}

/*
 * How `procscope serve` builds its dump engine: settings in a per-user config folder (PROCSCOPE_CONFIG_DIR wins,
 * so tests never write into $HOME), jobs through the built CLI's `helper` command, and the platform elevator for
 * "Retry as administrator". PROCSCOPE_TEST_ELEVATOR=direct swaps the prompting elevator for the no-prompt test
 * double: TEST ONLY (CI cannot answer pkexec), honoured by the browser host and never by the Electron app.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createAppDumpEngine } from '../../dump/dump-engine-setup';
import { DumpError } from '../../dump/dump-writer';
import { createDirectElevator } from '../../dump/helper/direct-elevator';
import type { Elevator } from '../../dump/helper/elevator';
import { defaultHelperCommand } from '../../dump/helper/helper-dump-writer';
import { createPlatformElevator } from '../../dump/select-elevator';
import { elevatedCodePaths, findWritableElevatedCode } from './elevated-code-check';
import { createAppCaptureEngines } from '../capture-engine-setup';
import type { CaptureEngineFactories } from '../capture-services';
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

/**
 * The Elevator behind the browser host's "Retry as administrator": the test double when PROCSCOPE_TEST_ELEVATOR
 * is 'direct' (it runs the helper with the server's own rights, so no root runs anything), else the platform's
 * prompting elevator, which on Linux and macOS first checks that root would run only root's own code.
 */
export async function createServeElevator(options: {
  env: NodeJS.ProcessEnv;
  cliScriptPath: string;
  platform: NodeJS.Platform;
  execPath?: string;
  /** The prompting elevator; createPlatformElevator(platform) by default (tests hand in a recorder). */
  platformElevator?: Elevator | null;
}): Promise<Elevator | null> {
  const testElevator = options.env[TEST_ELEVATOR_ENV];
  if (testElevator !== undefined && testElevator !== '' && testElevator !== 'direct') {
    throw new Error(`${TEST_ELEVATOR_ENV} may only be 'direct' (a test double) or unset, not '${testElevator}'.`);
  }
  if (testElevator === 'direct') return createDirectElevator();
  const inner = options.platformElevator === undefined ? await createPlatformElevator(options.platform) : options.platformElevator;
  // Windows has no root-owned files to ask about; its installed copy lives under Program Files (admin-only).
  if (!inner || options.platform === 'win32') return inner;
  const execPath = options.execPath ?? process.execPath;
  const packages = ['koffi', `@koromix/koffi-${options.platform}-${process.arch}`, 'ws', 'zod'];
  return {
    kind: inner.kind,
    async run(executable, args) {
      const problem = await findWritableElevatedCode(await elevatedCodePaths(execPath, options.cliScriptPath, packages));
      if (problem) {
        throw new DumpError(
          'unsupported',
          `Retry as administrator is refused: ${problem} Whoever can change that code would run it as root. ` +
            'Install Procscope where only root can write (the deb package), or dump from a root terminal.',
        );
      }
      return inner.run(executable, args);
    },
  };
}

export function createServeDumpEngineFactory(options: {
  env: NodeJS.ProcessEnv;
  /** The built CLI bundle (out/main/cli.js) that `node … helper` runs. */
  cliScriptPath: string;
  platform?: NodeJS.Platform;
}): DumpEngineFactory {
  const platform = options.platform ?? process.platform;
  return async (readRows) =>
    createAppDumpEngine({
      configDir: serveConfigDir(options.env, platform),
      readRows,
      helperCommand: defaultHelperCommand({ execPath: process.execPath, isElectron: false, cliScriptPath: options.cliScriptPath, platform }),
      platform,
      elevator: await createServeElevator({ env: options.env, cliScriptPath: options.cliScriptPath, platform }),
    });
}

/**
 * The capture engines of `procscope serve`: each watch runs in the built CLI's helper (never in the server, whose
 * own children a tracer would steal), elevated through the same elevator as the dumps' retry.
 */
export async function createServeCaptureEngines(options: {
  env: NodeJS.ProcessEnv;
  cliScriptPath: string;
  platform?: NodeJS.Platform;
}): Promise<CaptureEngineFactories> {
  const platform = options.platform ?? process.platform;
  return createAppCaptureEngines({
    helperCommand: defaultHelperCommand({ execPath: process.execPath, isElectron: false, cliScriptPath: options.cliScriptPath, platform }),
    elevator: await createServeElevator({ env: options.env, cliScriptPath: options.cliScriptPath, platform }),
    platform,
  });
}

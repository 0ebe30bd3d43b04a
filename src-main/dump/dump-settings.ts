/*
 * The remembered dump settings (folder, last dump kind) in a small JSON file in the config folder the host passes
 * in (Electron: app.getPath('userData'); CLI / browser host: ~/.config/procscope). Runs in the main process. A
 * missing, corrupt or half-valid file yields defaults for what is wrong, never a crash; writes go to a temporary
 * file renamed into place, so a crash mid-write cannot corrupt it.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join as joinPosix, isAbsolute as isAbsolutePosix } from 'node:path/posix';
import { join as joinWin32, isAbsolute as isAbsoluteWin32 } from 'node:path/win32';
import { z } from 'zod';
import type { DumpSettings } from '../../src-shared/model/dump-jobs';

export type { DumpSettings };

export interface DumpSettingsStore {
  load(): Promise<DumpSettings>;
  /** Merges, writes and returns the new settings. A relative dumpDir is refused with an Error. */
  update(patch: Partial<DumpSettings>): Promise<DumpSettings>;
}

export const DUMP_SETTINGS_FILE = 'dump-settings.json';

/** Documents\Procscope Dumps on Windows (Process Explorer saves beside the user's documents too); ~/procscope-dumps elsewhere. */
export function defaultDumpDir(platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  return platform === 'win32' ? joinWin32(home, 'Documents', 'Procscope Dumps') : joinPosix(home, 'procscope-dumps');
}

export interface DumpSettingsStoreOptions {
  configDir: string;
  defaults?: Partial<DumpSettings>;
  platform?: NodeJS.Platform;
}

export function createDumpSettingsStore(options: DumpSettingsStoreOptions): DumpSettingsStore {
  const platform = options.platform ?? process.platform;
  const isAbsolute = platform === 'win32' ? isAbsoluteWin32 : isAbsolutePosix;
  const defaults: DumpSettings = {
    dumpDir: options.defaults?.dumpDir ?? defaultDumpDir(platform),
    lastKind: options.defaults?.lastKind ?? 'full',
  };
  const file = (platform === 'win32' ? joinWin32 : joinPosix)(options.configDir, DUMP_SETTINGS_FILE);
  // Each field on its own: one bad field must not throw away the others.
  const dumpDirSchema = z.string().min(1).max(4000).refine((p) => isAbsolute(p));
  const kindSchema = z.enum(['full', 'mini']);
  let writing: Promise<unknown> = Promise.resolve();

  async function load(): Promise<DumpSettings> {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(file, 'utf8'));
    } catch {
      return { ...defaults };
    }
    const obj = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    const dumpDir = dumpDirSchema.safeParse(obj['dumpDir']);
    const lastKind = kindSchema.safeParse(obj['lastKind']);
    return {
      dumpDir: dumpDir.success ? dumpDir.data : defaults.dumpDir,
      lastKind: lastKind.success ? lastKind.data : defaults.lastKind,
    };
  }

  async function update(patch: Partial<DumpSettings>): Promise<DumpSettings> {
    if (patch.dumpDir !== undefined && !dumpDirSchema.safeParse(patch.dumpDir).success) {
      throw new Error(`The dump folder must be an absolute path, not '${patch.dumpDir}'.`);
    }
    if (patch.lastKind !== undefined && !kindSchema.safeParse(patch.lastKind).success) {
      throw new Error(`The dump kind must be 'full' or 'mini'.`);
    }
    // Serialise writers so two quick updates cannot interleave their read-modify-write.
    const next = writing.then(async () => {
      const merged: DumpSettings = { ...(await load()), ...definedOnly(patch) };
      await mkdir(options.configDir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify({ version: 1, ...merged }, null, 2) + '\n', { mode: 0o600 });
      await rename(tmp, file);
      return merged;
    });
    writing = next.catch(() => {});
    return next;
  }

  return { load, update };
}

function definedOnly(patch: Partial<DumpSettings>): Partial<DumpSettings> {
  const out: Partial<DumpSettings> = {};
  if (patch.dumpDir !== undefined) out.dumpDir = patch.dumpDir;
  if (patch.lastKind !== undefined) out.lastKind = patch.lastKind;
  return out;
}

/*
 * The persisted main-window view (issue 14), one JSON file per host: Electron's app.getPath('userData') and the
 * browser host's config folder (serveConfigDir), both `view-settings.json`. Runs in the host process. A missing
 * file answers "nothing saved"; an unreadable, non-JSON or invalid one answers the same plus a notice naming the
 * problem — never a crash, and the bad file is left for the user to look at until the next save replaces it.
 * A save is validated again (the same schema the IPC gate uses) and written atomically: a temporary file in the
 * same folder (mode 0600, O_EXCL), fsync'd, then renamed over the old one; saves are serialised.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeSchemaError } from '../../src-shared/ipc/request-schemas';
import { viewSettingsSchema } from '../../src-shared/ipc/view-settings-schema';
import type { ViewSettings, ViewSettingsView } from '../../src-shared/model/view-settings';
import { HostRequestError } from './host-request-error';

export const VIEW_SETTINGS_FILE = 'view-settings.json';
/** A view file is a few KiB; anything much larger is not ours. */
export const MAX_VIEW_SETTINGS_BYTES = 256 * 1024;

export interface ViewSettingsStore {
  readonly path: string;
  load(): Promise<ViewSettingsView>;
  /** Validates, writes and returns the settings; throws HostRequestError('invalid-argument') for input the schema refuses. */
  save(settings: unknown): Promise<ViewSettings>;
}

export function createViewSettingsStore(configDir: string): ViewSettingsStore {
  const path = join(configDir, VIEW_SETTINGS_FILE);
  let writing: Promise<unknown> = Promise.resolve();

  async function load(): Promise<ViewSettingsView> {
    let text: string;
    try {
      const handle = await open(path, 'r');
      try {
        const { size } = await handle.stat();
        if (size > MAX_VIEW_SETTINGS_BYTES) {
          return { settings: null, notice: `The saved view (${path}) is ${size} bytes, more than a view can be; the default view is shown.` };
        }
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { settings: null, notice: null };
      return { settings: null, notice: `The saved view (${path}) could not be read (${(err as Error).message}); the default view is shown.` };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return { settings: null, notice: `The saved view (${path}) is not valid JSON; the default view is shown.` };
    }
    const parsed = viewSettingsSchema.safeParse(raw);
    if (!parsed.success) {
      return { settings: null, notice: `The saved view (${path}) was refused (${describeSchemaError(parsed.error).slice(0, 300)}); the default view is shown.` };
    }
    return { settings: parsed.data, notice: null };
  }

  async function save(input: unknown): Promise<ViewSettings> {
    const parsed = viewSettingsSchema.safeParse(input);
    if (!parsed.success) throw new HostRequestError('invalid-argument', `The view was refused: ${describeSchemaError(parsed.error)}`);
    const settings = parsed.data;
    const next = writing.then(async () => {
      await mkdir(configDir, { recursive: true, mode: 0o700 });
      const tmp = join(configDir, `.${VIEW_SETTINGS_FILE}.${randomBytes(6).toString('hex')}.tmp`);
      const handle = await open(tmp, 'wx', 0o600);
      try {
        try {
          await handle.writeFile(JSON.stringify(settings, null, 2) + '\n');
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(tmp, path);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      return settings;
    });
    writing = next.catch(() => {});
    return next;
  }

  return { path, load, save };
}

/** A host without a config folder (tests, embedders): the view lives as long as the process. */
export function createMemoryViewSettingsStore(): ViewSettingsStore {
  let saved: ViewSettings | null = null;
  return {
    path: '',
    load: async () => ({ settings: saved, notice: null }),
    async save(input) {
      const parsed = viewSettingsSchema.safeParse(input);
      if (!parsed.success) throw new HostRequestError('invalid-argument', `The view was refused: ${describeSchemaError(parsed.error)}`);
      saved = parsed.data;
      return saved;
    },
  };
}

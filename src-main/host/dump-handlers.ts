/*
 * The request handlers of the dump channels (start, tree, cancel, retry, delete, dismiss, list, settings) and of
 * the two Electron-only shell channels. Split from request-handlers.ts to keep that file a table. Every refusal is
 * a sentence with a contract code; the engine's own DumpError sentences pass through dispatchRequest().
 */
import type { DumpEngine } from '../dump/dump-engine';
import type { AppServices } from './app-services';
import { HostRequestError } from './host-request-error';
import type { RequestHandlersFor } from './request-context';

type DumpChannel =
  | 'procscope:start-dump'
  | 'procscope:start-tree-dump'
  | 'procscope:cancel-dump'
  | 'procscope:retry-dump-elevated'
  | 'procscope:delete-dump'
  | 'procscope:dismiss-dump'
  | 'procscope:list-dump-jobs'
  | 'procscope:get-dump-settings'
  | 'procscope:update-dump-settings'
  | 'procscope:choose-dump-folder'
  | 'procscope:show-dump-in-folder';

type Handlers = RequestHandlersFor<DumpChannel>;

const BROWSER_ONLY =
  'is only available in the Procscope desktop app; in the browser host, type the folder path instead.';

export function createDumpHandlers(services: AppServices): Handlers {
  const engine = async (): Promise<DumpEngine> => {
    try {
      return await services.dumps.get();
    } catch (err) {
      throw new HostRequestError('unsupported', `Dumps cannot be written here: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const shell = (what: string) => {
    if (!services.shell) throw new HostRequestError('unsupported', `${what} ${BROWSER_ONLY}`);
    return services.shell;
  };
  return {
    'procscope:start-dump': async (args) => (await engine()).start(args),
    'procscope:start-tree-dump': async (args) => (await engine()).startTree(args),
    'procscope:cancel-dump': async ({ jobId }) => (await engine()).cancel(jobId),
    'procscope:retry-dump-elevated': async ({ jobId }) => (await engine()).retryElevated(jobId),
    'procscope:delete-dump': async ({ jobId }) => {
      await (await engine()).deleteDump(jobId);
      return null;
    },
    'procscope:dismiss-dump': async ({ jobId }) => (await engine()).dismiss(jobId),
    'procscope:list-dump-jobs': async () => {
      // Listing must not create the engine: a window that opens without ever dumping costs nothing.
      const existing = services.dumps.peek();
      return existing ? { jobs: existing.list(), groups: existing.listGroups() } : { jobs: [], groups: [] };
    },
    'procscope:get-dump-settings': async () => (await engine()).getSettings(),
    'procscope:update-dump-settings': async (patch) => {
      try {
        return await (await engine()).updateSettings(patch);
      } catch (err) {
        if (err instanceof HostRequestError) throw err;
        throw new HostRequestError('invalid-argument', `The dump settings were not saved: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    'procscope:choose-dump-folder': async ({ defaultPath }, { sender }) => shell('Browse…').chooseFolder(defaultPath, sender.id),
    'procscope:show-dump-in-folder': async ({ jobId }) => {
      const show = shell('Show in folder');
      const job = (await engine()).get(jobId);
      if (!job?.result) throw new HostRequestError('invalid-argument', 'That dump is not finished or is no longer on the list.');
      show.showItemInFolder(job.result.path);
      return null;
    },
  };
}

/*
 * One handler per request channel of src-shared/ipc, shared by the Electron and the browser transports, and the
 * dispatcher that validates every call first. The handler table is a Record over RequestChannel, so a channel
 * without a handler does not compile; dispatchRequest() never throws: bad input and failures become typed errors.
 */
import { describeUnknownChannel, isRequestChannel } from '../../src-shared/ipc/contract';
import { ipcFail, ipcOk, type IpcEnvelope, type IpcErrorCode } from '../../src-shared/ipc/ipc-result';
import { describeSchemaError, REQUEST_SCHEMAS } from '../../src-shared/ipc/request-schemas';
import type { DumpErrorCode } from '../../src-shared/model/dump';
import { DumpError } from '../dump/dump-writer';
import { ProcessActionError } from '../platform/backend';
import type { AppServices } from './app-services';
import { createAnalysisHandlers } from './analysis-handlers';
import { createCaptureHandlers } from './capture-handlers';
import { createDumpHandlers } from './dump-handlers';
import { createViewSettingsHandlers } from './view-settings-handlers';
import { createDetailHandlers } from './detail-handlers';
import { createUploadPackageHandlers } from './upload-package-handlers';
import { killProcessTree, refuseOwnProcess } from './process-actions';
import { HostRequestError } from './host-request-error';
import type { RequestContext, RequestHandlers } from './request-context';

export type { RequestContext, RequestHandlers } from './request-context';

export function createRequestHandlers(services: AppServices): RequestHandlers {
  return {
    'procscope:subscribe-processes': async (_args, { sender }) => {
      services.subscribeProcesses(sender);
      return services.getPollerState();
    },
    'procscope:unsubscribe-processes': async (_args, { sender }) => {
      services.unsubscribeProcesses(sender.id);
      return null;
    },
    'procscope:get-snapshot': async () => {
      if (!services.poller.getSnapshot()) await services.poller.refreshNow();
      return services.poller.getSnapshot();
    },
    'procscope:get-poller-state': async () => services.getPollerState(),
    'procscope:set-refresh-interval': async ({ intervalMs }) => services.setRefreshInterval(intervalMs),
    'procscope:set-include-handle-count': async ({ include }) => services.setIncludeHandleCount(include),
    'procscope:set-poll-fields': async (fields) => {
      services.poller.setSnapshotFields(fields);
      return null;
    },
    'procscope:refresh-now': async () => {
      await services.poller.refreshNow();
      return null;
    },
    'procscope:get-app-info': async () => services.appInfo,
    'procscope:kill-process': async (target) => {
      refuseOwnProcess('kill', target, services.hostPids());
      await services.backend.terminate(target);
      return null;
    },
    'procscope:kill-process-tree': async (target) =>
      killProcessTree(services.backend, await services.readRows(), target, services.hostPids()),
    'procscope:suspend-process': async (target) => {
      refuseOwnProcess('suspend', target, services.hostPids());
      await services.backend.suspend(target);
      return null;
    },
    'procscope:resume-process': async (target) => {
      await services.backend.resume(target);
      return null;
    },
    'procscope:open-properties-window': async (target) => {
      if (!services.shell?.openPropertiesWindow) throw new HostRequestError('unsupported', 'This host opens no Properties windows of its own: the page opens one.');
      services.shell.openPropertiesWindow(target);
      return null;
    },
    ...createDumpHandlers(services),
    ...createCaptureHandlers(services),
    ...createAnalysisHandlers(services),
    ...createViewSettingsHandlers(services),
    ...createDetailHandlers(services),
    ...createUploadPackageHandlers(services),
  };
}

/** The engine's codes in the contract's terms; the engine's sentence travels unchanged. */
const DUMP_TO_IPC: Record<DumpErrorCode, IpcErrorCode> = {
  'needs-elevation': 'access-denied',
  'process-gone': 'process-gone',
  'pid-recycled': 'pid-recycled',
  'already-traced': 'failed',
  'disk-full': 'failed',
  'file-exists': 'failed',
  'folder-unwritable': 'failed',
  'bad-request': 'invalid-argument',
  cancelled: 'failed',
  'elevation-cancelled': 'failed',
  unsupported: 'unsupported',
  'io-error': 'failed',
};

/** Validate the channel and the argument, run the one handler, and answer with an envelope. */
export async function dispatchRequest(
  handlers: RequestHandlers,
  channel: unknown,
  rawArgs: unknown,
  context: RequestContext,
): Promise<IpcEnvelope<unknown>> {
  if (!isRequestChannel(channel)) {
    return ipcFail('unknown-channel', `There is no request channel ${describeUnknownChannel(channel)}.`);
  }
  const parsed = REQUEST_SCHEMAS[channel].safeParse(rawArgs);
  if (!parsed.success) {
    return ipcFail('invalid-argument', `${channel}: ${describeSchemaError(parsed.error)}`);
  }
  const handler = handlers[channel] as (args: unknown, context: RequestContext) => Promise<unknown>;
  try {
    return ipcOk(await handler(parsed.data, context));
  } catch (err) {
    if (err instanceof ProcessActionError) return ipcFail(err.code, err.message);
    if (err instanceof DumpError) return ipcFail(DUMP_TO_IPC[err.code], err.message);
    if (err instanceof HostRequestError) return ipcFail(err.code, err.message);
    return ipcFail('internal', `${channel} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

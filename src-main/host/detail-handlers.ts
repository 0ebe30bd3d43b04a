/*
 * The process-detail channels (src-shared/ipc/detail-contract.ts), answered by the host's detail service
 * (src-main/detail/detail-service.ts). A part's own failure travels inside its DetailResult; only a refusal of the
 * whole call (the target gone or recycled, a thread action the OS cannot do, no detail source) becomes an IPC
 * error, with the source's code and sentence.
 */
import type { DetailErrorCode } from '../../src-shared/model/process-detail';
import type { IpcErrorCode } from '../../src-shared/ipc/ipc-result';
import type { DetailRequestMap } from '../../src-shared/ipc/detail-contract';
import { DetailFailure } from '../detail/detail-source';
import type { AppServices } from './app-services';
import { HostRequestError } from './host-request-error';
import type { RequestHandlersFor } from './request-context';

const DETAIL_TO_IPC: Record<DetailErrorCode, IpcErrorCode> = {
  'access-denied': 'access-denied',
  'process-gone': 'process-gone',
  'pid-recycled': 'pid-recycled',
  unsupported: 'unsupported',
  timeout: 'failed',
  failed: 'failed',
};

async function mapped<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof DetailFailure) throw new HostRequestError(DETAIL_TO_IPC[err.code], err.message);
    throw err;
  }
}

export function createDetailHandlers(services: Pick<AppServices, 'detail'>): RequestHandlersFor<keyof DetailRequestMap> {
  return {
    'procscope:get-process-detail': ({ pid, startTimeMs, parts }) => mapped(() => services.detail.getProcessDetail({ pid, startTimeMs }, parts)),
    'procscope:get-thread-stack': ({ pid, startTimeMs, tid }) => mapped(() => services.detail.getThreadStack({ pid, startTimeMs }, tid)),
    'procscope:thread-action': ({ pid, startTimeMs, tid, action }) =>
      mapped(async () => {
        await services.detail.threadAction({ pid, startTimeMs }, tid, action);
        return null;
      }),
    'procscope:find-handle-or-dll': ({ query }) => mapped(() => services.detail.findHandleOrDll(query)),
  };
}

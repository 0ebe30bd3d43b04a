/* A handler's refusal with a contract error code and a sentence (dispatchRequest() passes both on unchanged). */
import type { IpcErrorCode } from '../../src-shared/ipc/ipc-result';

export class HostRequestError extends Error {
  constructor(
    readonly code: IpcErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HostRequestError';
  }
}

/*
 * What crosses the wire as the answer to a request: an envelope, never a thrown error, because Electron's
 * ipcMain.handle flattens thrown errors into a message string and the browser transport has no errors at all.
 * The renderer's client unwraps it and throws IpcRequestError with the typed code.
 */

export type IpcErrorCode =
  | 'invalid-argument'
  | 'unknown-channel'
  | 'untrusted-sender'
  | 'not-ready'
  | 'process-gone'
  | 'pid-recycled'
  | 'access-denied'
  | 'unsupported'
  /** The host will not end or suspend itself, nor end a tree that contains it. */
  | 'own-process'
  /** The operation ran and failed for a reason the message states (a full disk, a file that exists). */
  | 'failed'
  | 'internal';

export interface IpcError {
  code: IpcErrorCode;
  message: string;
}

export type IpcEnvelope<T> = { ok: true; value: T } | { ok: false; error: IpcError };

export function ipcOk<T>(value: T): IpcEnvelope<T> {
  return { ok: true, value };
}

export function ipcFail(code: IpcErrorCode, message: string): IpcEnvelope<never> {
  return { ok: false, error: { code, message } };
}

export class IpcRequestError extends Error {
  constructor(
    readonly code: IpcErrorCode,
    message: string,
    readonly channel: string,
  ) {
    super(message);
    this.name = 'IpcRequestError';
  }
}

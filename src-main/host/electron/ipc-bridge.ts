/*
 * Registers exactly one ipcMain handler per request channel of the contract and routes pushes to windows. Every
 * call is checked for its sender, then validated and dispatched by request-handlers.ts; the answer is always an
 * envelope. This folder is the only place raw ipcMain and webContents.send appear.
 */
import type { IpcMain, WebContents } from 'electron';
import { REQUEST_CHANNELS } from '../../../src-shared/ipc/contract';
import { ipcFail } from '../../../src-shared/ipc/ipc-result';
import type { AppServices, HostSender } from '../app-services';
import { createRequestHandlers, dispatchRequest } from '../request-handlers';
import type { SenderEvent } from './trusted-sender';

export type IpcMainLike = Pick<IpcMain, 'handle' | 'removeHandler'>;
export type SendableContents = Pick<WebContents, 'id' | 'send' | 'isDestroyed'>;

export function senderForContents(contents: SendableContents): HostSender {
  return {
    id: `electron-${contents.id}`,
    push(channel, payload) {
      if (!contents.isDestroyed()) contents.send(channel, payload);
    },
  };
}

/** Returns a function that removes the handlers again. */
export function registerIpcHandlers(
  ipcMain: IpcMainLike,
  services: AppServices,
  isTrustedSender: (event: SenderEvent) => boolean,
): () => void {
  const handlers = createRequestHandlers(services);
  for (const channel of REQUEST_CHANNELS) {
    ipcMain.handle(channel, async (event, args: unknown) => {
      if (!isTrustedSender(event)) return ipcFail('untrusted-sender', `${channel}: the sender is not the Procscope window.`);
      return dispatchRequest(handlers, channel, args, { sender: senderForContents(event.sender) });
    });
  }
  return () => {
    for (const channel of REQUEST_CHANNELS) ipcMain.removeHandler(channel);
  };
}

/*
 * GitHub Desktop's trusted-sender rule: main answers IPC only from our own window's main frame showing our own
 * page. Anything else (a subframe, a navigated or foreign page, another webContents) gets 'untrusted-sender'.
 */
import type { IpcMainInvokeEvent } from 'electron';

export type SenderEvent = Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>;

export function createSenderCheck(options: { trustedWebContentsIds: () => ReadonlySet<number>; isAppUrl(url: string): boolean }) {
  return (event: SenderEvent): boolean => {
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null) return false;
    if (!options.trustedWebContentsIds().has(event.sender.id)) return false;
    return options.isAppUrl(frame.url);
  };
}

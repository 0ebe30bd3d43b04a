/*
 * The sandboxed preload: exposes window.procscope (the ProcscopeBridge of src-shared/ipc) and nothing else. It
 * forwards only the contract's own "procscope:" channels and strips the Electron event before a listener sees a
 * push, so the page never gets ipcRenderer, Node or the sender object.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { BRIDGE_GLOBAL_NAME, type ProcscopeBridge } from '../../../src-shared/ipc/bridge';
import { describeUnknownChannel, isPushChannel, isRequestChannel } from '../../../src-shared/ipc/contract';
import { ipcFail } from '../../../src-shared/ipc/ipc-result';

const bridge: ProcscopeBridge = {
  invoke(channel, args) {
    if (!isRequestChannel(channel)) return Promise.resolve(ipcFail('unknown-channel', `There is no request channel ${describeUnknownChannel(channel)}.`));
    return ipcRenderer.invoke(channel, args);
  },
  on(channel, listener) {
    if (!isPushChannel(channel)) throw new Error(`There is no push channel ${describeUnknownChannel(channel)}.`);
    const wrapped = (_event: IpcRendererEvent, payload: unknown) => (listener as (p: unknown) => void)(payload);
    ipcRenderer.on(channel, wrapped);
    return () => ipcRenderer.removeListener(channel, wrapped);
  },
};

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL_NAME, bridge);

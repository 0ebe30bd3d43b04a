/*
 * The browser host's WebSocket framing around the same contract: JSON text frames, a request carries an id that
 * its response echoes, pushes carry their channel. The token travels in the URL (?token=), never in a frame.
 */
import type { PushChannel, RequestChannel } from './contract';
import type { IpcEnvelope } from './ipc-result';

export const WEB_SOCKET_PATH = '/ws';
export const WEB_TOKEN_PARAM = 'token';

export interface WebRequestFrame {
  type: 'request';
  id: number;
  channel: RequestChannel;
  args: unknown;
}

export type WebServerFrame =
  | { type: 'response'; id: number; result: IpcEnvelope<unknown> }
  | { type: 'push'; channel: PushChannel; payload: unknown };

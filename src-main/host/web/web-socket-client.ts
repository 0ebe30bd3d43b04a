/*
 * One browser-host WebSocket connection: its requests go to the shared dispatcher, its pushes go out with
 * backpressure. A client that stops reading (ws.bufferedAmount over the soft limit) is marked stale and its
 * process-stream deltas are dropped; when its socket drains it gets the current snapshot, whose seq the deltas that
 * follow continue, so it never sees a gap. One that stays stale too long, or whose queue would pass the hard limit,
 * is cut (issue 11, item 9: 20 sockets that never read took the server from 165 MiB to 1.2 GiB in 8 s).
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { PushChannel, PushPayload } from '../../../src-shared/ipc/contract';
import type { WebServerFrame } from '../../../src-shared/ipc/web-protocol';
import type { AppServices, HostSender } from '../app-services';
import { dispatchRequest, type RequestHandlers } from '../request-handlers';

export interface WebSocketLimits {
  /** Over this many queued bytes a client is stale: deltas are dropped until it drains. */
  softBufferBytes: number;
  /** A send that would queue more than this (on top of a non-empty queue) cuts the client. */
  hardBufferBytes: number;
  /** A client stale this long without draining is cut. */
  staleCloseMs: number;
}

/** A 5,000-process snapshot is about 1.5 MB of JSON; the soft limit lets one through to a reading client. */
export const DEFAULT_WEB_SOCKET_LIMITS: WebSocketLimits = {
  softBufferBytes: 2 * 1024 * 1024,
  hardBufferBytes: 16 * 1024 * 1024,
  staleCloseMs: 30_000,
};

export interface WebSocketClientOptions {
  ws: WebSocket;
  /** The TCP socket under ws: its 'drain' says when a stale client has caught up. */
  socket: Duplex;
  senderId: string;
  services: AppServices;
  handlers: RequestHandlers;
  limits: WebSocketLimits;
}

const PROCESS_STREAM: PushChannel = 'procscope:process-stream';

export function attachWebSocketClient(options: WebSocketClientOptions): void {
  const { ws, socket, services, handlers, limits } = options;
  let staleSinceMs: number | null = null;

  /** Queues one frame; false when the client is gone or was cut for an overfull queue. */
  const send = (frame: WebServerFrame): boolean => {
    if (ws.readyState !== ws.OPEN) return false;
    const text = JSON.stringify(frame);
    const queued = ws.bufferedAmount;
    if (queued > 0 && queued + text.length > limits.hardBufferBytes) {
      ws.terminate();
      return false;
    }
    ws.send(text);
    return true;
  };

  const sendCurrentSnapshot = (): void => {
    const snapshot = services.poller.getSnapshot();
    if (!snapshot) return;
    staleSinceMs = null;
    send({ type: 'push', channel: PROCESS_STREAM, payload: { kind: 'snapshot', snapshot } });
  };

  const pushStream = (payload: PushPayload<'procscope:process-stream'>): void => {
    if (payload.kind === 'snapshot') {
      staleSinceMs = null;
      send({ type: 'push', channel: PROCESS_STREAM, payload });
      return;
    }
    if (staleSinceMs === null && ws.bufferedAmount <= limits.softBufferBytes) {
      send({ type: 'push', channel: PROCESS_STREAM, payload });
      return;
    }
    // Behind: this delta is dropped. The poller's snapshot already holds it (it is updated before deltas go out).
    staleSinceMs ??= performance.now();
    if (ws.bufferedAmount === 0) sendCurrentSnapshot();
    else if (performance.now() - staleSinceMs > limits.staleCloseMs) ws.terminate();
  };

  const sender: HostSender = {
    id: options.senderId,
    push: (channel, payload) => {
      if (channel === PROCESS_STREAM) pushStream(payload as PushPayload<'procscope:process-stream'>);
      else send({ type: 'push', channel, payload });
    },
  };

  socket.on('drain', () => {
    if (staleSinceMs !== null) sendCurrentSnapshot();
  });
  // ws reports protocol errors (oversized or unmasked frames, bad UTF-8 or opcodes) here and closes the socket
  // itself; without a listener the 'error' event threw and ended the whole server (issue 11, item 8).
  ws.on('error', () => ws.terminate());

  ws.on('message', (data, isBinary) => {
    let frame: unknown;
    try {
      frame = isBinary ? undefined : JSON.parse(String(data));
    } catch {
      frame = undefined;
    }
    const f = frame as { type?: unknown; id?: unknown; channel?: unknown; args?: unknown } | null | undefined;
    if (!f || typeof f !== 'object' || f.type !== 'request' || typeof f.id !== 'number' || !Number.isSafeInteger(f.id)) {
      ws.close(1008, 'Malformed frame: expected {type:"request", id, channel, args}.');
      return;
    }
    const id = f.id;
    if (f.channel === 'procscope:unsubscribe-processes') staleSinceMs = null;
    dispatchRequest(handlers, f.channel, f.args, { sender }).then(
      (result) => send({ type: 'response', id, result }),
      // dispatchRequest answers every failure itself; this is the last guard, so no rejection goes unhandled.
      () => send({ type: 'response', id, result: { ok: false, error: { code: 'internal', message: 'The request failed.' } } }),
    );
  });
  ws.on('close', () => services.releaseSender(sender.id));
}

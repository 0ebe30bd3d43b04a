/*
 * The app's end of the helper channel (main process / CLI): a Unix domain socket in a private 0700 folder on
 * Linux, a randomly named pipe on Windows (node:net serves both). It accepts exactly one connection and stops
 * listening at once; that connection must open with a `hello` carrying the one-time secret (compared in constant
 * time) or it is dropped and the job fails. It never acts on a message before the secret is proven.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DumpErrorInfo } from '../../../src-shared/model/dump';
import {
  createLineSplitter,
  decodeHelperMessage,
  encodeMessage,
  HELPER_PROTOCOL_VERSION,
  type AppMessage,
  type HelperMessage,
} from './helper-protocol';

export type ProvenHelperMessage = Exclude<HelperMessage, { kind: 'hello' }>;

export interface HelperChannelEvents {
  /** A message from the helper after it proved the secret. */
  onMessage(message: ProvenHelperMessage): void;
  /** The channel was refused or broken; the job has failed with this error. Called at most once. */
  onFailure(error: DumpErrorInfo): void;
  /** The proven connection closed (normally after `result` or `error`). */
  onClose(): void;
}

export interface HelperChannel {
  /** Socket path or pipe name, passed to the helper on its command line. */
  readonly address: string;
  /** 32 random bytes, hex; valid for this one channel only. */
  readonly secret: string;
  /** False until a connection proved the secret. */
  isConnected(): boolean;
  send(message: AppMessage): void;
  close(): Promise<void>;
}

function sameSecret(a: string, b: string): boolean {
  // Hash first so both buffers have the same length and the comparison time reveals nothing about either.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

const refused = (message: string): DumpErrorInfo => ({ code: 'bad-request', message });

export async function openHelperChannel(
  events: HelperChannelEvents,
  platform: NodeJS.Platform = process.platform,
  /** Where the private socket folder is made (Linux); os.tmpdir() by default. */
  tmpDir: string = tmpdir(),
): Promise<HelperChannel> {
  const secret = randomBytes(32).toString('hex');
  let privateDir: string | null = null;
  let address: string;
  if (platform === 'win32') {
    address = `\\\\.\\pipe\\procscope-helper-${randomBytes(16).toString('hex')}`;
  } else {
    // mkdtemp creates the folder 0700: only this user (and root) can reach the socket inside it.
    privateDir = await mkdtemp(join(tmpDir, 'procscope-helper-'));
    address = join(privateDir, 'channel.sock');
  }

  let folderRemoved: Promise<void> | null = null;
  const removeFolder = (): Promise<void> => (folderRemoved ??= privateDir ? rm(privateDir, { recursive: true, force: true }).catch(() => undefined) : Promise.resolve());

  let socket: Socket | null = null;
  let proven = false;
  let failed = false;
  let closed = false;
  const fail = (error: DumpErrorInfo): void => {
    if (failed) return;
    failed = true;
    socket?.destroy();
    events.onFailure(error);
  };

  const server: Server = createServer({ allowHalfOpen: false }, (conn) => {
    if (socket) {
      conn.destroy();
      return;
    }
    socket = conn;
    // Exactly one connection: stop listening before reading a byte from it. The folder has done its work too (the
    // socket file goes with the listener): removed now, a host that dies while the helper works (SIGKILL, a crash)
    // leaves nothing behind in the temp folder.
    server.close();
    void removeFolder();
    const splitter = createLineSplitter(
      (line) => {
        const decoded = decodeHelperMessage(line);
        if (!decoded.ok) {
          splitter.stop();
          fail(refused(`${decoded.error} The dump was refused; try again, and report a bug if it keeps happening.`));
          return;
        }
        const message = decoded.message;
        if (!proven) {
          if (message.kind !== 'hello' || !sameSecret(message.secret, secret)) {
            splitter.stop();
            fail(refused('A process without the job\'s one-time secret connected to the helper channel, so the dump was refused. Try again.'));
            return;
          }
          proven = true;
          conn.write(encodeMessage({ v: HELPER_PROTOCOL_VERSION, kind: 'welcome' }));
          return;
        }
        if (message.kind === 'hello') {
          splitter.stop();
          fail(refused('The helper sent a second hello, so the dump was refused. Try again.'));
          return;
        }
        events.onMessage(message);
      },
      () => fail(refused('The helper sent an oversized message, so the dump was refused. Try again.')),
    );
    conn.on('data', (chunk: Buffer) => splitter.push(chunk));
    conn.on('error', () => {
      /* 'close' follows and reports */
    });
    conn.on('close', () => {
      if (proven && !failed) events.onClose();
      else if (!failed && !closed) fail(refused('The helper closed the channel before proving the secret. Try again.'));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    address,
    secret,
    isConnected: () => proven,
    send(message) {
      if (socket && proven && !socket.destroyed) socket.write(encodeMessage(message));
    },
    async close() {
      closed = true;
      socket?.destroy();
      await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
      await removeFolder();
    },
  };
}

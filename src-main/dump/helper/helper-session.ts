/*
 * What a helper job runs with: the OS facts and factories runHelper is given (HelperDeps), and the proven channel
 * to the app a job reports through (HelperSession). Their own module, so the dump path (helper-main.ts) and the
 * watch path (helper-watch-job.ts) both use them without importing each other.
 */
import type { DumpErrorInfo } from '../../../src-shared/model/dump';
import type { CaptureEngine } from '../../capture/capture-engine';
import type { RegistryPort } from '../../capture/persistent/persistent-apply';
import type { DumpWriter, OpenedFolder } from '../dump-writer';
import type { HelperMessage } from './helper-protocol';
import type { Win32HelperFacts } from './helper-validate';

export interface HelperDeps {
  createWriter(): Promise<DumpWriter>;
  readStartTimeMs(pid: number): number | null;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  stderr(text: string): void;
  /** The helper's own uid (null on Windows): a root helper creates the dump file with the requester's rights. */
  ownUid: number | null;
  /** Windows only: who asked (the dump file is made readable by them) and who owns a folder. */
  win32?: Win32HelperFacts;
  /**
   * A watch job's engine, given the folder the helper opened and checked (null where it lends no rights); the
   * platform's engine when absent. Tests pass one whose core writer they control.
   */
  createCaptureEngine?: (folder: OpenedFolder | null) => CaptureEngine | Promise<CaptureEngine>;
  /** A persist job's registry; the real HKLM (capture/persistent/win32-registry.ts) when absent. */
  createRegistry?: () => RegistryPort;
}

export interface HelperSession {
  /** Resolves when the app accepted the hello; rejects with the reason it did not. */
  welcomed: Promise<void>;
  /** Aborted when the app cancels or stops, misbehaves, or goes away (closes the channel). */
  signal: AbortSignal;
  send(message: HelperMessage): void;
  /** Reports the error (if any), closes the channel and returns the exit code. */
  finish(error: DumpErrorInfo | null): Promise<number>;
}

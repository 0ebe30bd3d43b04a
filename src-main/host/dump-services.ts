/*
 * The dump engine as the hosts hold it: created on first use (most sessions never dump, and the engine starts a
 * settings store and, on Linux, child processes), its events broadcast to every subscribed renderer, and disposed
 * with the app so running jobs are cancelled and their partial files removed. Runs in the Electron main process or
 * the `procscope serve` process; it never picks a writer or an elevator itself (dump-engine-setup.ts does).
 */
import type { DumpEventPayload } from '../../src-shared/ipc/dump-contract';
import type { ProcessRow } from '../../src-shared/model/process';
import type { DumpEngine } from '../dump/dump-engine';

/** How a host builds its engine: createAppDumpEngine() with its config folder, helper command and elevator. */
export type DumpEngineFactory = (readRows: () => Promise<readonly ProcessRow[]>) => Promise<DumpEngine>;

export interface DumpServices {
  /** The engine, created on the first call; a failed creation is tried again on the next call. */
  get(): Promise<DumpEngine>;
  /** The engine if it exists, without creating it. */
  peek(): DumpEngine | null;
  dispose(): Promise<void>;
}

export function createDumpServices(options: {
  factory: DumpEngineFactory | null;
  readRows: () => Promise<readonly ProcessRow[]>;
  broadcast: (payload: DumpEventPayload) => void;
}): DumpServices {
  let engine: DumpEngine | null = null;
  let creating: Promise<DumpEngine> | null = null;
  let unsubscribe: (() => void) | null = null;
  let disposed = false;
  return {
    get() {
      if (engine) return Promise.resolve(engine);
      if (disposed) return Promise.reject(new Error('Procscope is shutting down; the dump was not started.'));
      const factory = options.factory;
      if (!factory) return Promise.reject(new Error('This host cannot write dumps.'));
      creating ??= factory(options.readRows).then(
        (created) => {
          engine = created;
          unsubscribe = created.subscribe((event) => options.broadcast(event));
          return created;
        },
        (err: unknown) => {
          creating = null;
          throw err;
        },
      );
      return creating;
    },
    peek: () => engine,
    async dispose() {
      disposed = true;
      const pending = engine ?? (creating ? await creating.catch(() => null) : null);
      unsubscribe?.();
      await pending?.dispose();
    },
  };
}

/*
 * `procscope watch --launch -- CMD ARGS…` (ProcDump -x) on Windows: CMD's process is created suspended
 * (CreateProcessW, CREATE_SUSPENDED, this terminal's standard handles) so that it has run no instruction when the
 * watch arms on it; the capture engine then attaches as its debugger (its start dump comes at the loader's
 * breakpoint) and only `go()` resumes its first thread. If the watch cannot arm, `cancel()` ends it with
 * TerminateProcess — it never ran, so nothing of it is lost — and it reports not-started. Its exit code comes from
 * its process handle. The OS calls are injected (Win32LaunchNative) so the sequencing is tested on any OS.
 */
import { CliUsageError } from '../cli-command';
import { NOT_LAUNCHED_EXIT, type LaunchedExit, type LaunchedProcess, type Launcher } from './watch-launch';
import { buildWindowsCommandLine, resolveWindowsLaunchCommand } from './win-command-line';

/** One suspended process as the native layer hands it over. */
export interface SuspendedChild {
  pid: number;
  /** Resumes the first thread; false when Windows refused. */
  resume(): boolean;
  terminate(exitCode: number): boolean;
  /** Waits up to `ms` for the process to end, off the event loop; true once it has. */
  waitExit(ms: number): Promise<boolean>;
  /** Its exit code once ended, null when unreadable. */
  exitCode(): number | null;
  close(): void;
}

export interface Win32LaunchNative {
  /** Throws an Error whose message says why the process could not be created. */
  createSuspended(application: string, commandLine: string): SuspendedChild;
}

/** How long one wait for the program's end blocks koffi's worker: the longest `release()` takes to take effect. */
const EXIT_WAIT_SLICE_MS = 200;

function check(argv: readonly string[]): string {
  if (argv.length === 0) throw new CliUsageError('--launch needs the command to launch (--launch -- CMD ARGS…).');
  buildWindowsCommandLine(argv);
  return resolveWindowsLaunchCommand(argv[0]!);
}

export function createWin32Launcher(loadNative: () => Promise<Win32LaunchNative>, resolve: (argv: readonly string[]) => string = check): Launcher {
  return {
    check: (argv) => void resolve(argv),
    async start(argv) {
      const application = resolve(argv);
      const commandLine = buildWindowsCommandLine(argv);
      const native = await loadNative();
      let child: SuspendedChild;
      try {
        child = native.createSuspended(application, commandLine);
      } catch (err) {
        throw new Error(`Procscope could not start '${argv[0]!.slice(0, 200)}': ${(err as Error).message}.`, { cause: err });
      }
      return heldProcess(child);
    },
  };
}

function heldProcess(child: SuspendedChild): LaunchedProcess {
  let decided = false;
  let started = false;
  let following = true;
  const exited = (async (): Promise<LaunchedExit> => {
    try {
      for (;;) {
        if (!following) return { exitCode: null, signal: null };
        if (await child.waitExit(EXIT_WAIT_SLICE_MS)) return { exitCode: child.exitCode(), signal: null };
      }
    } catch {
      return { exitCode: null, signal: null };
    } finally {
      child.close();
    }
  })();
  const kill = (): void => {
    // Never resumed, so it never ran a single instruction of its own: ending it loses nothing.
    child.terminate(NOT_LAUNCHED_EXIT);
  };
  return {
    pid: child.pid,
    get started() {
      return started;
    },
    go: () => {
      if (decided) return;
      decided = true;
      if (child.resume()) started = true;
      else kill();
    },
    cancel: () => {
      if (decided) return;
      decided = true;
      kill();
    },
    exited,
    createdSuspended: true,
    release: () => {
      following = false;
    },
  };
}

/** The real native layer, loaded only on Windows (koffi declarations in platform/win32/ffi). */
async function loadWin32Native(): Promise<Win32LaunchNative> {
  const { createProcessSuspended, resumeThread } = await import('../../platform/win32/ffi/process-create');
  const { getExitCodeProcess, terminateProcess, WAIT_OBJECT_0, waitForSingleObjectAsync } = await import('../../platform/win32/ffi/kernel32');
  return {
    createSuspended(application, commandLine) {
      const r = createProcessSuspended(application, commandLine);
      if ('error' in r) throw new Error(`CreateProcessW failed with Windows error ${r.error}`);
      let threadOpen = true;
      const closeThread = (): void => {
        if (threadOpen) r.thread.close();
        threadOpen = false;
      };
      return {
        pid: r.pid,
        resume: () => {
          const ok = resumeThread(r.thread);
          closeThread();
          return ok;
        },
        terminate: (code) => terminateProcess(r.process, code),
        waitExit: async (ms) => (await waitForSingleObjectAsync(r.process, ms)) === WAIT_OBJECT_0,
        exitCode: () => getExitCodeProcess(r.process),
        close: () => {
          closeThread();
          r.process.close();
        },
      };
    },
  };
}

/** The Windows launcher: CMD created suspended, resumed once the watch is armed. */
export const launchHeldWin32: Launcher = createWin32Launcher(loadWin32Native);

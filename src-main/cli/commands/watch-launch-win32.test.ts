// The Windows --launch sequencing on a fake native layer: the program is created suspended with the quoted command
// line and the resolved file, resumed only by go(), terminated (exit 125, never having run) by cancel() or by a
// failed resume, its exit code read from its handle once it ends, the handle closed once; release() stops the
// waiting. The real CreateProcessW path runs under Wine (scripts/test-win-watch.mjs).
import { describe, expect, it } from 'vitest';
import { NOT_LAUNCHED_EXIT } from './watch-launch';
import { createWin32Launcher, type SuspendedChild, type Win32LaunchNative } from './watch-launch-win32';

function fakeNative(options: { resumeFails?: boolean; createError?: string } = {}) {
  const log: string[] = [];
  let ended = false;
  let code: number | null = null;
  const child: SuspendedChild = {
    pid: 4321,
    resume: () => {
      log.push('resume');
      return !options.resumeFails;
    },
    terminate: (c) => {
      log.push(`terminate ${c}`);
      ended = true;
      code = c;
      return true;
    },
    waitExit: async (ms) => {
      await new Promise((r) => setTimeout(r, Math.min(ms, 5)));
      return ended;
    },
    exitCode: () => code,
    close: () => log.push('close'),
  };
  const native: Win32LaunchNative = {
    createSuspended: (application, commandLine) => {
      if (options.createError) throw new Error(options.createError);
      log.push(`create ${application} | ${commandLine}`);
      return child;
    },
  };
  const end = (c: number): void => {
    ended = true;
    code = c;
  };
  return { native, log, end };
}

const resolveFake = (argv: readonly string[]): string => `C:\\Windows\\System32\\${argv[0]}.exe`;

describe('Windows --launch (fake native layer)', () => {
  it('creates it suspended with the quoted line, resumes it only on go(), then reports its exit code and closes the handle', async () => {
    const f = fakeNative();
    const launcher = createWin32Launcher(async () => f.native, resolveFake);
    const l = await launcher.start(['cmd', '/c', 'hostname & exit 3']);
    expect(f.log).toEqual(['create C:\\Windows\\System32\\cmd.exe | cmd /c "hostname & exit 3"']);
    expect(l).toMatchObject({ pid: 4321, started: false, createdSuspended: true });
    l.go();
    l.go();
    expect(l.started).toBe(true);
    f.end(3);
    expect(await l.exited).toEqual({ exitCode: 3, signal: null });
    expect(f.log.slice(1)).toEqual(['resume', 'close']);
    // Once let go it is the program's own: a late cancel ends nothing.
    l.cancel();
    expect(f.log).not.toContain(`terminate ${NOT_LAUNCHED_EXIT}`);
  });

  it('cancel() before go() terminates the never-resumed program with 125 and never resumes it', async () => {
    const f = fakeNative();
    const l = await createWin32Launcher(async () => f.native, resolveFake).start(['hostname']);
    l.cancel();
    l.go();
    expect(await l.exited).toEqual({ exitCode: NOT_LAUNCHED_EXIT, signal: null });
    expect(l.started).toBe(false);
    expect(f.log.slice(1)).toEqual([`terminate ${NOT_LAUNCHED_EXIT}`, 'close']);
  });

  it('a resume Windows refuses leaves it not started and terminated, never stuck suspended', async () => {
    const f = fakeNative({ resumeFails: true });
    const l = await createWin32Launcher(async () => f.native, resolveFake).start(['hostname']);
    l.go();
    expect(l.started).toBe(false);
    expect(await l.exited).toEqual({ exitCode: NOT_LAUNCHED_EXIT, signal: null });
    expect(f.log.slice(1)).toEqual(['resume', `terminate ${NOT_LAUNCHED_EXIT}`, 'close']);
  });

  it('release() stops waiting for a program left running: exited settles, the handle is closed, nothing is killed', async () => {
    const f = fakeNative();
    const l = await createWin32Launcher(async () => f.native, resolveFake).start(['server']);
    l.go();
    l.release?.();
    expect(await l.exited).toEqual({ exitCode: null, signal: null });
    expect(f.log.slice(1)).toEqual(['resume', 'close']);
  });

  it('a CreateProcessW failure is a sentence naming the program; bad usage is refused before anything loads', async () => {
    const f = fakeNative({ createError: 'CreateProcessW failed with Windows error 193' });
    const launcher = createWin32Launcher(async () => f.native, resolveFake);
    await expect(launcher.start(['notpe'])).rejects.toThrow("Procscope could not start 'notpe': CreateProcessW failed with Windows error 193.");
    let loaded = false;
    const real = createWin32Launcher(async () => {
      loaded = true;
      return f.native;
    });
    expect(() => real.check([])).toThrow(/needs the command to launch/);
    expect(() => real.check(['a"b'])).toThrow(/cannot contain a quote/);
    await expect(real.start(['deploy.bat'])).rejects.toThrow(/batch file|no program named/);
    expect(loaded).toBe(false);
  });
});

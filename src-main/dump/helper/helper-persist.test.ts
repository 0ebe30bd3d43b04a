// The helper's persist job: its command line (attacks first), the job on a fake registry and fake folder handles
// (any OS), and the real dispatch in runHelper over a real channel, where a Linux helper refuses the job.
import { describe, expect, it } from 'vitest';
import { createMemoryRegistry } from '../../capture/persistent/__fixtures__/memory-registry';
import { SILENT_EXIT_KEY, type PersistentRequest } from '../../capture/persistent/persistent-plan';
import { WinHandle } from '../../platform/win32/ffi/win-types';
import { parseHelperArgs } from './helper-args';
import { checkHelperArgv } from './helper-argv';
import { openHelperChannel, type ProvenHelperMessage } from './helper-channel';
import { runHelper } from './helper-main';
import { helperPersistJobToArgs, isHelperPersistJob, parseHelperPersistArgs, type HelperPersistJob } from './helper-persist-args';
import { runPersistJob } from './helper-persist-job';
import type { HelperDeps, HelperSession } from './helper-session';
import type { Win32HelperFacts } from './helper-validate';

const PIPE = `\\\\.\\pipe\\procscope-helper-${'0'.repeat(32)}`;
const request: PersistentRequest = { image: 'hostname.exe', triggers: ['crash', 'exit'], kind: 'full', folder: 'C:\\Users\\ana\\Dumps' };
const job: HelperPersistJob = {
  persist: { action: 'add', request },
  channel: PIPE,
  secret: 'f'.repeat(64),
};
const args = helperPersistJobToArgs(job);
const withArg = (flag: string, value: string): string[] => args.map((a) => (a.startsWith(`${flag}=`) ? `${flag}=${value}` : a));
const errorOf = (a: string[], platform: NodeJS.Platform = 'win32'): string | null => {
  const r = parseHelperPersistArgs(a, platform);
  return r.ok ? null : r.error;
};

describe('helper persist-job arguments: attacks', () => {
  it('refuses a path, traversal or protected image, and a folder that is not a plain local path', () => {
    expect(errorOf(withArg('--image', '..\\..\\x.exe'))).toMatch(/bare file name/);
    expect(errorOf(withArg('--image', 'C:\\Windows\\System32\\lsass.exe'))).toMatch(/bare file name/);
    expect(errorOf(withArg('--image', 'lsass.exe'))).toMatch(/^Refused: lsass\.exe holds the credentials/);
    expect(errorOf(withArg('--image', 'Csrss.exe'))).toMatch(/critical/);
    expect(errorOf(withArg('--out-dir', 'Dumps'))).toMatch(/absolute/);
    expect(errorOf(withArg('--out-dir', '\\\\evil\\share\\d'))).toMatch(/absolute/);
    expect(errorOf(withArg('--out-dir', 'C:\\%SystemRoot%\\x'))).toMatch(/'%'/);
    expect(errorOf(withArg('--triggers', 'exit,start'))).toMatch(/crash, exit/);
    expect(errorOf(withArg('--kind', 'custom'))).toMatch(/--kind/);
  });

  it('refuses flags of other jobs, a flag twice, and flags its action does not take', () => {
    expect(errorOf([...args, '--pid=4'])).toMatch(/does not belong to a persist job/);
    expect(errorOf([...args, '--image=ping.exe'])).toMatch(/given twice/);
    expect(errorOf(['--job=persist', '--action=list', '--image=x.exe', `--channel=${PIPE}`, `--secret=${'f'.repeat(64)}`])).toMatch(/--image does not belong to a persist list/);
    expect(errorOf(['--job=persist', '--action=remove', `--channel=${PIPE}`, `--secret=${'f'.repeat(64)}`])).toMatch(/--image is missing/);
    expect(errorOf(withArg('--action', 'exec'))).toMatch(/add, remove or list/);
    // A dump job given a persist flag is refused, not run with it ignored.
    const dump = parseHelperArgs(['--pid=4', '--start-time-ms=1', '--kind=mini', '--out-dir=C:\\d', '--action=add', `--channel=${PIPE}`, `--secret=${'f'.repeat(64)}`], 'win32');
    expect(dump.ok || dump.error).toMatch(/--action belongs to a persist job/);
  });

  it('is refused on Linux, saying what the system has instead', () => {
    expect(errorOf(args, 'linux')).toMatch(/Windows only.*systemd-coredump.*core_pattern.*ProcDump for Linux has no equivalent/);
  });

  it('round-trips add, remove and list, and passes the Electron helper argv check', () => {
    expect(isHelperPersistJob(args)).toBe(true);
    expect(parseHelperPersistArgs(args, 'win32')).toEqual({ ok: true, job });
    for (const persist of [{ action: 'remove', image: 'hostname.exe' }, { action: 'list' }] as const) {
      expect(parseHelperPersistArgs(helperPersistJobToArgs({ ...job, persist }), 'win32')).toEqual({ ok: true, job: { ...job, persist } });
    }
    // Removal takes a refused name (nothing of ours can be under it), never a path.
    expect(parseHelperPersistArgs(helperPersistJobToArgs({ ...job, persist: { action: 'remove', image: 'lsass.exe' } }), 'win32').ok).toBe(true);
    expect(checkHelperArgv(['procscope.exe', '--procscope-helper', ...args], 'win32')).toEqual({ ok: true, jobArgs: args });
  });
});

const ANA = 'S-1-5-21-1-2-3-1001';
const SAFE_DACL = `D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;${ANA})`;
/** Folder handles of a small fake C: drive; 'Link' is a junction, 'Theirs' belongs to another account. */
function fakeFolders(): Win32HelperFacts & { open: Set<string> } {
  const open = new Set<string>();
  const attrs: Record<string, { attributes: number; ownerSid: string }> = {
    'C:\\': { attributes: 0x10, ownerSid: 'S-1-5-18' },
    'C:\\Users': { attributes: 0x10, ownerSid: 'S-1-5-18' },
    'C:\\Users\\ana': { attributes: 0x10, ownerSid: ANA },
    'C:\\Users\\ana\\Dumps': { attributes: 0x10, ownerSid: ANA },
    'C:\\Users\\ana\\Link': { attributes: 0x410, ownerSid: ANA },
    'C:\\Users\\ana\\Theirs': { attributes: 0x10, ownerSid: 'S-1-5-21-1-2-3-1002' },
  };
  const paths = new WeakMap<WinHandle, string>();
  return {
    open,
    requesterSid: ANA,
    openFolder(parent, name) {
      const path = parent ? `${paths.get(parent)!.replace(/\\$/, '')}\\${name}` : name.replace(/^\\\?\?\\/, '');
      if (!attrs[path]) return { failure: 'missing', status: 0xc0000034 };
      open.add(path);
      const handle = new WinHandle(path, () => open.delete(path));
      paths.set(handle, path);
      return { handle };
    },
    describeFolder: (handle) => ({ ...attrs[paths.get(handle)!]!, daclSddl: SAFE_DACL }),
  };
}

function fakeSession(): HelperSession & { sent: unknown[]; finished: unknown[] } {
  const sent: unknown[] = [];
  const finished: unknown[] = [];
  return {
    sent,
    finished,
    welcomed: Promise.resolve(),
    signal: new AbortController().signal,
    send: (m) => sent.push(m),
    finish: async (error) => {
      finished.push(error);
      return error ? 1 : 0;
    },
  };
}

async function runJob(folder: string, registry = createMemoryRegistry()) {
  const facts = fakeFolders();
  const session = fakeSession();
  const deps = { platform: 'win32', win32: facts, createRegistry: () => registry } as unknown as HelperDeps;
  const code = await runPersistJob({ ...job, persist: { action: 'add', request: { ...request, folder } } }, deps, session);
  return { code, session, registry, stillOpen: [...facts.open] };
}

describe('the helper persist job', () => {
  it('refuses a junction as the folder and a folder another account owns, writing no key', async () => {
    const link = await runJob('C:\\Users\\ana\\Link');
    expect(link.code).toBe(1);
    expect(link.session.finished[0]).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/symbolic link or junction/) });
    const theirs = await runJob('C:\\Users\\ana\\Theirs');
    expect(theirs.session.finished[0]).toMatchObject({ message: expect.stringMatching(/does not belong to you/) });
    const missing = await runJob('C:\\Users\\ana\\Nope');
    expect(missing.session.finished[0]).toMatchObject({ code: 'folder-unwritable', message: expect.stringMatching(/does not exist/) });
    for (const r of [link, theirs, missing]) {
      expect(r.registry.log).toEqual([]);
      expect(r.session.sent).toEqual([]);
      expect(r.stillOpen).toEqual([]);
    }
  });

  it('writes the keys for a checked folder, answers one persist report and closes every handle', async () => {
    const r = await runJob('C:\\Users\\ana\\Dumps');
    expect(r.code).toBe(0);
    expect(r.session.finished).toEqual([null]);
    expect(r.session.sent).toEqual([expect.objectContaining({ kind: 'persist', report: expect.objectContaining({ action: 'add', entries: expect.arrayContaining([expect.objectContaining({ trigger: 'exit', kind: 'full' })]) }) })]);
    expect(r.registry.get(`${SILENT_EXIT_KEY}\\hostname.exe`, 'ReportingMode')).toMatchObject({ data: 2 });
    expect(r.stillOpen).toEqual([]);
  });

  it('turns a refusal of the plan (a foreign key) into a bad-request error, not a report', async () => {
    const registry = createMemoryRegistry();
    registry.seed(`${SILENT_EXIT_KEY}\\hostname.exe`, 'ReportingMode', { type: 'dword', data: 1 });
    const r = await runJob('C:\\Users\\ana\\Dumps', registry);
    expect(r.session.finished[0]).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/not written by Procscope/) });
    expect(r.session.sent).toEqual([]);
  });
});

describe('runHelper with --job=persist on Linux', () => {
  it('reports the refusal over the proven channel and exits 2', async () => {
    const messages: ProvenHelperMessage[] = [];
    const channel = await openHelperChannel({ onMessage: (m) => messages.push(m), onFailure: () => {}, onClose: () => {} }, 'linux');
    try {
      const jobArgs = helperPersistJobToArgs({ ...job, channel: channel.address, secret: channel.secret });
      let stderr = '';
      const ready = new Promise<void>((resolve) => {
        const poll = (): void => (channel.isConnected() ? (channel.send({ v: 1, kind: 'welcome' }), resolve()) : void setTimeout(poll, 5));
        poll();
      });
      const deps = { platform: 'linux', env: {}, ownUid: 0, stderr: (t: string) => (stderr += t), readStartTimeMs: () => null, createWriter: () => Promise.reject(new Error('no')) } as unknown as HelperDeps;
      const run = runHelper(jobArgs, deps);
      await ready;
      const code = await run;
      expect(code).toBe(2);
      expect(messages).toEqual([{ v: 1, kind: 'error', error: { code: 'bad-request', message: expect.stringMatching(/refused its job: Persistent capture is Windows only/) } }]);
      expect(stderr).toMatch(/Windows only/);
    } finally {
      await channel.close();
    }
  });
});

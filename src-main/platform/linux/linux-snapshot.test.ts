// The snapshot reader against a fake /proc tree built from recorded fixtures: what is missing or unreadable
// becomes null, a pid with a new start time is a new identity, and an exec refreshes the cached command line.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLinuxSnapshotReader, type LinuxSnapshotReader } from './linux-snapshot';
import { failureOf } from './proc-file-reader';
import { parseLastPid } from './proc-loadavg';

const FIXTURES = join(__dirname, '__fixtures__');
const BOOT_MS = 1_700_000_000_000;
let root = '';
let reader: LinuxSnapshotReader | null = null;

function fakeProcess(pid: number, fixture: string, opts: { exe?: string; unreadable?: string[] } = {}) {
  const dir = join(root, String(pid));
  mkdirSync(dir, { recursive: true });
  for (const f of ['stat', 'statm', 'status', 'cmdline']) {
    // A missing file would mean the process is gone (ENOENT); a folder in its place is merely unreadable (EISDIR).
    if (opts.unreadable?.includes(f)) {
      mkdirSync(join(dir, f));
      continue;
    }
    let text = readFileSync(join(FIXTURES, `${fixture}.${f}`));
    // Renumber the pid at the start of stat so the fixture fits the fake directory.
    if (f === 'stat') text = Buffer.from(text.toString('latin1').replace(/^\d+/, String(pid)), 'latin1');
    // And status's Tgid and Pid, as a real /proc has them (a pid tried without a listing is checked to be a process).
    if (f === 'status') text = Buffer.from(text.toString('latin1').replace(/^(Tgid|Pid):\t\d+/gm, `$1:\t${pid}`), 'latin1');
    writeFileSync(join(dir, f), text);
  }
  if (opts.exe) symlinkSync(opts.exe, join(dir, 'exe'));
}

function createReader(nowMs: number | (() => number) = BOOT_MS + 10_000_000) {
  reader = createLinuxSnapshotReader({
    clockTicksPerSecond: 100,
    pageSizeBytes: 4096,
    startTicksToEpochMs: (ticks) => BOOT_MS + ticks * 10,
    userName: (uid) => (uid === 0 ? 'root' : String(uid)),
    nowMs: typeof nowMs === 'number' ? () => nowMs : nowMs,
    keptDescriptorBudget: 100,
    trustLastPid: true,
    procRoot: root,
  });
  return reader;
}

afterEach(() => {
  reader?.dispose();
  reader = null;
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('Linux snapshot reader on a fake /proc', () => {
  it('fills every field it can and leaves the rest null', async () => {
    root = mkdtempSync(join(tmpdir(), 'procscope-fakeproc-'));
    fakeProcess(100, 'odd-name', { exe: '/usr/bin/dash' });
    fakeProcess(101, 'node', { unreadable: ['statm', 'status'] });
    fakeProcess(105, 'node', { unreadable: ['stat'] }); // no stat, no identity: left out
    fakeProcess(102, 'zombie');
    fakeProcess(103, 'kworker');
    mkdirSync(join(root, '104')); // listed, but no stat: gone before we got there
    writeFileSync(join(root, 'meminfo'), 'x'); // non-numeric entries are not processes
    const rows = await createReader().readRows(false);
    expect(rows.map((r) => r.pid).sort()).toEqual([100, 101, 102, 103]);
    const odd = rows.find((r) => r.pid === 100)!;
    expect(odd).toMatchObject({
      key: `100:${BOOT_MS + 296833 * 10}`,
      ppid: 29393,
      name: 'my (odd) name) ',
      exePath: '/usr/bin/dash',
      commandLine: '/tmp/fx/my (odd) name) x -c sleep 30; : "arg with space"',
      user: 'root',
      state: 'sleeping',
      threadCount: 1,
      handleCount: null,
      cpuTimeMs: 0,
      cpuPercent: null,
      workingSetBytes: 383 * 4096,
      virtualBytes: 2654208,
      priority: 0,
      sessionId: null,
      elevated: null,
    });
    expect(odd.privateBytes).toBeGreaterThan(0);
    const node = rows.find((r) => r.pid === 101)!;
    expect(node).toMatchObject({ exePath: null, user: null, privateBytes: null, cpuTimeMs: 190, threadCount: 7 });
    expect(node.commandLine).toBe('node -e setTimeout(()=>{},3000)');
    expect(rows.find((r) => r.pid === 102)).toMatchObject({ state: 'zombie', commandLine: null, exePath: null, workingSetBytes: 0 });
    expect(rows.find((r) => r.pid === 103)).toMatchObject({ name: 'kworker/R-rcu_gp', ppid: 2, state: 'idle', commandLine: null, priority: -20 });
  });

  it('gives a recycled pid a new key and re-reads the command line after an exec', async () => {
    root = mkdtempSync(join(tmpdir(), 'procscope-fakeproc-'));
    fakeProcess(200, 'node');
    const r = createReader();
    const first = (await r.readRows(false))[0]!;
    // Same bytes → same row object (the poller's cheap path).
    expect((await r.readRows(false))[0]).toBe(first);

    // exec: new arg_start/arg_end and comm, same start time → same key, fresh command line.
    const stat = readFileSync(join(root, '200', 'stat'), 'latin1').split(' ');
    const exec = [...stat];
    exec[1] = '(python3)';
    exec[47] = String(Number(stat[47]) + 4096);
    writeFileSync(join(root, '200', 'stat'), exec.join(' '));
    writeFileSync(join(root, '200', 'cmdline'), 'python3\0-m\0http.server\0');
    const afterExec = (await r.readRows(false))[0]!;
    expect(afterExec.key).toBe(first.key);
    expect(afterExec).toMatchObject({ name: 'python3', commandLine: 'python3 -m http.server' });

    // The pid comes back with another start time: a different process.
    const reborn = [...exec];
    reborn[21] = String(Number(stat[21]) + 5000);
    writeFileSync(join(root, '200', 'stat'), reborn.join(' '));
    const next = (await r.readRows(false))[0]!;
    expect(next.key).not.toBe(first.key);
    expect(next.startTimeMs).toBe(first.startTimeMs + 50_000);
  });

  it('counts open descriptors only when asked', async () => {
    root = mkdtempSync(join(tmpdir(), 'procscope-fakeproc-'));
    fakeProcess(300, 'node');
    mkdirSync(join(root, '300', 'fd'));
    for (const n of ['0', '1', '2']) symlinkSync('/dev/null', join(root, '300', 'fd', n));
    const r = createReader();
    expect((await r.readRows(false))[0]!.handleCount).toBeNull();
    const withFds = (await r.readRows(true))[0]!.handleCount;
    // A real /proc reports the count as the directory size; a plain folder's size is not a count, so either way >= 3.
    expect(withFds).toBeGreaterThanOrEqual(3);
  });

  it('checks the user of a process that ran again after 10 s, and not before', async () => {
    root = mkdtempSync(join(tmpdir(), 'procscope-fakeproc-'));
    fakeProcess(500, 'node');
    let now = BOOT_MS + 10_000_000;
    const r = createReader(() => now);
    expect((await r.readRows(false))[0]!.user).toBe('root');
    const status = readFileSync(join(root, '500', 'status'), 'latin1');
    writeFileSync(join(root, '500', 'status'), status.replace(/^Uid:.*$/m, 'Uid:\t0\t1000\t1000\t1000'));
    const ran = (ticks: number) => {
      const stat = readFileSync(join(root, '500', 'stat'), 'latin1').split(' ');
      stat[13] = String(ticks); // utime: the process ran
      writeFileSync(join(root, '500', 'stat'), stat.join(' '));
    };
    ran(50);
    now += 5_000;
    expect((await r.readRows(false))[0]!.user).toBe('root');
    ran(60);
    now += 5_000;
    expect((await r.readRows(false))[0]!.user).toBe('1000');
  });

  it('lists /proc again only when loadavg shows a new last pid', async () => {
    root = mkdtempSync(join(tmpdir(), 'procscope-fakeproc-'));
    fakeProcess(400, 'node');
    writeFileSync(join(root, 'loadavg'), '0.10 0.20 0.30 1/80 400\n');
    const r = createReader();
    expect((await r.readRows(false)).map((x) => x.pid)).toEqual([400]);
    fakeProcess(401, 'node');
    // Same last pid: the known processes only (a real kernel would have raised it for 401).
    expect((await r.readRows(false)).map((x) => x.pid)).toEqual([400]);
    writeFileSync(join(root, 'loadavg'), '0.10 0.20 0.30 1/81 401\n');
    expect((await r.readRows(false)).map((x) => x.pid).sort()).toEqual([400, 401]);
    expect(parseLastPid(Buffer.from('garbage'), 7)).toBe(-1);
    expect(parseLastPid(Buffer.from('0.00 0.01 0.05 2/236 7366\n'), 26)).toBe(7366);
  });

  it('maps errno codes to gone / denied', () => {
    expect(failureOf(Object.assign(new Error('x'), { code: 'ESRCH' }))).toBe('gone');
    expect(failureOf(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('gone');
    expect(failureOf(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe('denied');
    expect(failureOf(Object.assign(new Error('x'), { code: 'EIO' }))).toBe('error');
  });
});

// Issue 14's row fields on Linux: the /proc/PID/io, cgroup, /proc/stat cpuN and TracerPid parsers on fixed text,
// then live against processes whose I/O, state, tracer and mapped libraries the test sets: exact byte counts read
// and written, SIGSTOP, strace attached, a library named libcoreclr.so preloaded; the systemd unit on a fake /proc.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessRow } from '../../../src-shared/model/process';
import { createLinuxBackend } from './linux-backend';
import { createLinuxSnapshotReader } from './linux-snapshot';
import { serviceUnitOfCgroupPath, systemdCgroupPath } from './proc-cgroup';
import { parseProcStatCpuTimes } from './proc-cpu-times';
import { parseDiskStats, physicalDisks } from './proc-diskstats';
import { parseProcIo } from './proc-io';
import { parseProcStatusTracerPid } from './proc-status';

describe('parsers', () => {
  it('reads rchar, wchar, syscr and syscw from /proc/PID/io', () => {
    const text = 'rchar: 6976\nwchar: 12\nsyscr: 10\nsyscw: 2\nread_bytes: 4096\nwrite_bytes: 0\ncancelled_write_bytes: 0\n';
    const buf = Buffer.from(text);
    expect(parseProcIo(buf, buf.length)).toEqual({ readBytes: 6976, writeBytes: 12, readOps: 10, writeOps: 2 });
    expect(parseProcIo(buf, 20)).toBeNull();
    const live = readFileSync('/proc/self/io');
    expect(parseProcIo(live, live.length)!.readBytes).toBeGreaterThan(0);
  });

  it('finds the systemd unit of a cgroup path, system and user units, and none for scopes and slices', () => {
    expect(systemdCgroupPath('0::/system.slice/nginx.service\n')).toBe('/system.slice/nginx.service');
    // Hybrid mounts: the v1 name=systemd hierarchy is the one systemd names after units.
    expect(systemdCgroupPath('9:name=systemd:/system.slice/cron.service\n4:memory:/x\n0::/\n')).toBe('/system.slice/cron.service');
    expect(systemdCgroupPath('4:memory:/x\n')).toBeNull();
    expect(serviceUnitOfCgroupPath('/system.slice/nginx.service')).toBe('nginx.service');
    expect(serviceUnitOfCgroupPath('/user.slice/user-1000.slice/user@1000.service/app.slice/pipewire.service')).toBe('pipewire.service');
    expect(serviceUnitOfCgroupPath('/user.slice/user-1000.slice/user@1000.service/init.scope')).toBeNull();
    expect(serviceUnitOfCgroupPath('/user.slice/user-1000.slice/session-3.scope')).toBeNull();
    expect(serviceUnitOfCgroupPath('/system.slice/docker.service/delegated/sub')).toBe('docker.service');
    expect(serviceUnitOfCgroupPath('/system.slice/system-getty.slice/getty@tty1.service')).toBe('getty@tty1.service');
    expect(serviceUnitOfCgroupPath('/system.slice/systemd-fsck@dev-disk-by\\x2duuid-1.service')).toBe('systemd-fsck@dev-disk-by-uuid-1.service');
    expect(serviceUnitOfCgroupPath('/')).toBeNull();
  });

  it('reads each cpuN line of /proc/stat as busy and total ms', () => {
    const text = 'cpu  30 0 10 100 0 0 0 0 0 0\ncpu0 10 0 5 50 5 0 0 0 0 0\ncpu1 20 0 5 50 0 0 0 5 0 0\nintr 1\n';
    expect(parseProcStatCpuTimes(text, 100)).toEqual([{ busyMs: 150, totalMs: 700 }, { busyMs: 300, totalMs: 800 }]);
    expect(parseProcStatCpuTimes('intr 1\n', 100)).toBeNull();
    expect(parseProcStatCpuTimes(readFileSync('/proc/stat', 'latin1'), 100)!.length).toBeGreaterThan(0);
  });

  it('sums whole physical disks of /proc/diskstats in bytes, not their partitions or loop devices', () => {
    const text =
      '   7       0 loop0 5 0 800 0 0 0 0 0 0 0 0\n 253       0 vda 10 0 100 5 20 0 300 7 0 12 12\n' +
      ' 253       1 vda1 9 0 90 5 19 0 290 7 0 12 12\n 259       0 nvme0n1 1 0 2 0 1 0 4 0 0 0 0\n';
    expect(parseDiskStats(text, new Set(['vda', 'nvme0n1']))).toEqual({ readBytes: 102 * 512, writeBytes: 304 * 512 });
    expect(parseDiskStats(text, new Set(['sdz']))).toBeNull();
    expect(physicalDisks().has('loop0')).toBe(false);
  });

  it('reads TracerPid', () => {
    expect(parseProcStatusTracerPid('Name:\tx\nTracerPid:\t4711\nUid:\t0\n')).toBe(4711);
    expect(parseProcStatusTracerPid(readFileSync('/proc/self/status', 'latin1'))).toBe(0);
    expect(parseProcStatusTracerPid('Name:\tx\n')).toBeNull();
  });
});

const children: ChildProcess[] = [];
const folders: string[] = [];
const backend = createLinuxBackend();
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});

async function started(child: ChildProcess, comm: string): Promise<number> {
  children.push(child);
  await new Promise((r) => child.once('spawn', r));
  await expect.poll(() => readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim(), { timeout: 10_000 }).toBe(comm);
  return child.pid!;
}

async function rowOf(pid: number, options: { includeIo?: boolean; includeCategories?: boolean } = {}): Promise<ProcessRow | undefined> {
  return (await backend.takeSnapshot({ includeHandleCount: false, ...options })).rows.find((r) => r.pid === pid);
}

describe.runIf(process.platform === 'linux')('live', () => {
  it('counts the bytes a process reads and writes, only while asked to', async () => {
    // Reads 4 MiB of /dev/zero and writes 1 MiB to /dev/null on each line it is sent, then says 'done'.
    const script =
      "const fs=require('fs');const z=fs.openSync('/dev/zero','r'),n=fs.openSync('/dev/null','w'),b=Buffer.alloc(1<<20);" +
      "process.stdin.on('data',()=>{for(let i=0;i<4;i++)fs.readSync(z,b,0,b.length,null);fs.writeSync(n,b);process.stdout.write('done\\n')});" +
      "process.stdout.write('ready\\n')";
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'ignore'] });
    children.push(child);
    const lines: string[] = [];
    child.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().trim().split('\n')));
    await expect.poll(() => lines.includes('ready'), { timeout: 10_000 }).toBe(true);
    expect((await rowOf(child.pid!))?.ioReadBytes).toBeNull();
    const before = (await rowOf(child.pid!, { includeIo: true }))!;
    expect(before.ioReadBytes).toBeGreaterThan(0);
    child.stdin!.write('go\n');
    await expect.poll(() => lines.includes('done'), { timeout: 10_000 }).toBe(true);
    const after = (await rowOf(child.pid!, { includeIo: true }))!;
    const MiB = 1 << 20;
    // The 3-byte stdin line and the 5-byte 'done' reply come on top; libuv may read a little more of its own.
    expect(after.ioReadBytes! - before.ioReadBytes!).toBeGreaterThanOrEqual(4 * MiB);
    expect(after.ioReadBytes! - before.ioReadBytes!).toBeLessThan(4 * MiB + 64 * 1024);
    expect(after.ioWriteBytes! - before.ioWriteBytes!).toBeGreaterThanOrEqual(MiB);
    expect(after.ioWriteBytes! - before.ioWriteBytes!).toBeLessThan(MiB + 64 * 1024);
    expect(after.ioReadOps! - before.ioReadOps!).toBeGreaterThanOrEqual(4);
    expect(after.ioWriteOps! - before.ioWriteOps!).toBeGreaterThanOrEqual(2);
    expect((await rowOf(child.pid!))?.ioReadBytes).toBeNull();
  });

  it('marks a stopped process suspended, and not once continued', async () => {
    const pid = await started(spawn('sleep', ['300'], { stdio: 'ignore' }), 'sleep');
    expect((await rowOf(pid))?.suspended).toBe(false);
    process.kill(pid, 'SIGSTOP');
    await expect.poll(async () => (await rowOf(pid))?.state, { timeout: 5_000 }).toBe('stopped');
    expect((await rowOf(pid))?.suspended).toBe(true);
    process.kill(pid, 'SIGCONT');
    await expect.poll(async () => (await rowOf(pid))?.suspended, { timeout: 5_000 }).toBe(false);
  });

  it.runIf(existsSync('/usr/bin/strace'))('marks a process strace attached to as being debugged, within ten category polls', async () => {
    const pid = await started(spawn('sleep', ['300'], { stdio: 'ignore' }), 'sleep');
    await new Promise((r) => setTimeout(r, 5_200)); // past the young-process checkpoints: only the recheck can tell
    expect((await rowOf(pid, { includeCategories: true }))?.beingDebugged).toBe(false);
    const tracer = spawn('strace', ['-p', String(pid), '-o', '/dev/null'], { stdio: 'ignore' });
    children.push(tracer);
    await expect.poll(() => /TracerPid:\s+[1-9]/.test(readFileSync(`/proc/${pid}/status`, 'latin1')), { timeout: 10_000 }).toBe(true);
    let seen: boolean | null | undefined;
    for (let i = 0; i < 10 && seen !== true; i++) seen = (await rowOf(pid, { includeCategories: true }))?.beingDebugged;
    expect(seen).toBe(true);
  }, 20_000);

  it('sees the .NET runtime where libcoreclr.so is mapped, once categories are asked for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'procscope-coreclr-'));
    folders.push(dir);
    const lib = spawnSync('sh', ['-c', "ldd /bin/sleep | awk '/libc.so/ {print $3}'"], { encoding: 'utf8' }).stdout.trim();
    // A harmless library under the runtime's name: what is mapped counts, not what it is.
    copyFileSync(lib, join(dir, 'libcoreclr.so'));
    const dotnet = await started(spawn('sleep', ['300'], { stdio: 'ignore', env: { ...process.env, LD_PRELOAD: join(dir, 'libcoreclr.so') } }), 'sleep');
    const plain = await started(spawn('sleep', ['300'], { stdio: 'ignore' }), 'sleep');
    expect((await rowOf(dotnet))?.isDotNet).toBeNull();
    // maps is read for at most 100 processes per poll, so a busy machine may need a few polls to reach these two.
    await expect.poll(async () => (await rowOf(dotnet, { includeCategories: true }))?.isDotNet, { timeout: 10_000 }).toBe(true);
    await expect.poll(async () => (await rowOf(plain, { includeCategories: true }))?.isDotNet, { timeout: 10_000 }).toBe(false);
  });
});

describe('services from the cgroup on a fake /proc', () => {
  it('gives the unit as the only service, the same array each poll, and none in a scope', async () => {
    const root = mkdtempSync(join(tmpdir(), 'procscope-fakecg-'));
    folders.push(root);
    const fixtures = join(__dirname, '__fixtures__');
    const fake = (pid: number, cgroup: string) => {
      const dir = join(root, String(pid));
      mkdirSync(dir);
      for (const f of ['statm', 'status', 'cmdline']) copyFileSync(join(fixtures, `node.${f}`), join(dir, f));
      writeFileSync(join(dir, 'stat'), readFileSync(join(fixtures, 'node.stat'), 'latin1').replace(/^\d+/, String(pid)));
      writeFileSync(join(dir, 'cgroup'), cgroup);
    };
    fake(200, '0::/system.slice/nginx.service\n');
    fake(201, '0::/user.slice/user-1000.slice/session-2.scope\n');
    const reader = createLinuxSnapshotReader({
      clockTicksPerSecond: 100,
      pageSizeBytes: 4096,
      startTicksToEpochMs: (ticks) => ticks * 10,
      userName: String,
      nowMs: () => 1e13,
      keptDescriptorBudget: 10,
      trustLastPid: false,
      procRoot: root,
    });
    try {
      const first = await reader.readRows(false);
      const nginx = first.find((r) => r.pid === 200)!;
      expect(nginx.services).toEqual(['nginx.service']);
      expect(nginx.isService).toBe(true);
      expect(first.find((r) => r.pid === 201)).toMatchObject({ services: null, isService: false });
      writeFileSync(join(root, '200', 'stat'), readFileSync(join(root, '200', 'stat'), 'latin1').replace(/ S /, ' R '));
      const second = (await reader.readRows(false)).find((r) => r.pid === 200)!;
      expect(second).not.toBe(nginx);
      expect(second.services).toBe(nginx.services);
    } finally {
      reader.dispose();
    }
  });
});

// The small /proc files: statm, status (Uid, RssAnon), cmdline and /proc/meminfo, on recorded fixtures and live.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProcCmdline } from './proc-cmdline';
import { parseMemInfo } from './proc-meminfo';
import { parseProcStatm, privateBytesOfStatm } from './proc-statm';
import { parseProcStatusRssAnonBytes, parseProcStatusUids } from './proc-status';

const fixture = (name: string) => readFileSync(join(__dirname, '__fixtures__', name));

describe('statm', () => {
  it('gives resident − shared as private bytes', () => {
    const buf = fixture('node.statm');
    const statm = parseProcStatm(buf, buf.length)!;
    const [size, resident, shared] = buf.toString().split(' ').map(Number);
    expect(statm).toEqual({ sizePages: size, residentPages: resident, sharedPages: shared });
    expect(privateBytesOfStatm(statm, 4096)).toBe((resident! - shared!) * 4096);
    expect(privateBytesOfStatm(statm, 4096)).toBeGreaterThan(0);
  });
  it('is all zeros for zombies and kernel threads', () => {
    for (const name of ['zombie.statm', 'kthreadd.statm']) {
      const buf = fixture(name);
      expect(privateBytesOfStatm(parseProcStatm(buf, buf.length)!, 4096)).toBe(0);
    }
    expect(parseProcStatm(Buffer.from('1 2'), 3)).toBeNull();
  });
});

describe('status', () => {
  it('reads the real and effective uid', () => {
    expect(parseProcStatusUids(fixture('node.status').toString())).toEqual({ realUid: 0, effectiveUid: 0 });
    expect(parseProcStatusUids(fixture('zombie.status').toString())).toEqual({ realUid: 0, effectiveUid: 0 });
    expect(parseProcStatusUids('Name:\tx\nUid:\t1000\t0\t0\t0\n')).toEqual({ realUid: 1000, effectiveUid: 0 });
    expect(parseProcStatusUids('Name:\tx\n')).toBeNull();
  });

  it('gives the same private bytes from RssAnon as statm gives from resident − shared', () => {
    const statm = fixture('node.statm');
    expect(parseProcStatusRssAnonBytes(fixture('node.status').toString())).toBe(privateBytesOfStatm(parseProcStatm(statm, statm.length)!, 4096));
    expect(parseProcStatusRssAnonBytes(fixture('node.status').toString())).toBe(6328 * 1024);
  });

  it('gives 0 without memory (zombie, kernel thread), as statm does, and null for a cut-short text', () => {
    expect(parseProcStatusRssAnonBytes(fixture('zombie.status').toString())).toBe(0);
    expect(parseProcStatusRssAnonBytes(fixture('kthreadd.status').toString())).toBe(0);
    expect(parseProcStatusRssAnonBytes('Name:\tx\nUid:\t0\t0\t0\t0\n')).toBeNull();
  });

  it('agrees with statm on a live, idle process', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const statm = readFileSync(`/proc/${child.pid}/statm`);
      const fromStatm = privateBytesOfStatm(parseProcStatm(statm, statm.length)!, 4096);
      expect(fromStatm).toBeGreaterThan(0);
      expect(parseProcStatusRssAnonBytes(readFileSync(`/proc/${child.pid}/status`, 'latin1'))).toBe(fromStatm);
    } finally {
      child.kill();
    }
  });
});

describe('cmdline', () => {
  it('joins NUL-separated arguments with spaces, keeping spaces and parentheses inside them', () => {
    const buf = fixture('odd-name.cmdline');
    expect(parseProcCmdline(buf, buf.length)).toBe('/tmp/fx/my (odd) name) x -c sleep 30; : "arg with space"');
    const node = fixture('node.cmdline');
    expect(parseProcCmdline(node, node.length)).toBe('node -e setTimeout(()=>{},3000)');
  });
  it('is null for zombies and kernel threads (empty file)', () => {
    expect(parseProcCmdline(fixture('zombie.cmdline'), 0)).toBeNull();
    expect(parseProcCmdline(fixture('kworker.cmdline'), 0)).toBeNull();
  });
  it('keeps a setproctitle() title (spaces, no final NUL) and decodes UTF-8', () => {
    const title = Buffer.from('postgres: checkpointer  ');
    expect(parseProcCmdline(title, title.length)).toBe('postgres: checkpointer  ');
    const utf8 = Buffer.from('caf\u00e9\0--n\u00e4me\0');
    expect(parseProcCmdline(utf8, utf8.length)).toBe('caf\u00e9 --n\u00e4me');
  });
});

describe('meminfo', () => {
  it('reads MemTotal, MemAvailable, Committed_AS and CommitLimit in bytes', () => {
    const text = fixture('meminfo').toString();
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text)![1]) * 1024;
    expect(parseMemInfo(text)).toEqual({
      totalBytes: kib('MemTotal'),
      availableBytes: kib('MemAvailable'),
      commitBytes: kib('Committed_AS'),
      commitLimitBytes: kib('CommitLimit'),
    });
    expect(parseMemInfo(text).commitBytes).toBeGreaterThan(0);
    expect(parseMemInfo('MemTotal: 10 kB\n')).toEqual({ totalBytes: 10240, availableBytes: null, commitBytes: null, commitLimitBytes: null });
  });
});

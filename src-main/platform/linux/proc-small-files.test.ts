// The small /proc files: statm, status (Uid), cmdline and /proc/meminfo, on recorded fixtures.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProcCmdline } from './proc-cmdline';
import { parseMemInfo } from './proc-meminfo';
import { parseProcStatm, privateBytesOfStatm } from './proc-statm';
import { parseProcStatusUids } from './proc-status';

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
  it('reads MemTotal and MemAvailable in bytes', () => {
    const text = fixture('meminfo').toString();
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text)![1]) * 1024;
    expect(parseMemInfo(text)).toEqual({ totalBytes: kib('MemTotal'), availableBytes: kib('MemAvailable') });
    expect(parseMemInfo('MemTotal: 10 kB\n')).toEqual({ totalBytes: 10240, availableBytes: null });
  });
});

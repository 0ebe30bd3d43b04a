import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStartTicks } from './proc-start-time';
import { parseProcStat, PF_KTHREAD, processStateOf, statCommOf, statFields, statStateOf } from './proc-stat';

const fixture = (name: string) => readFileSync(join(__dirname, '__fixtures__', name));
const parse = (name: string) => {
  const buf = fixture(name);
  return parseProcStat(buf, buf.length);
};

describe('parseProcStat on recorded /proc/PID/stat files', () => {
  it('keeps a name with spaces and parentheses whole and counts fields after the last ")"', () => {
    const s = parse('odd-name.stat')!;
    expect(s.name).toBe('my (odd) name) ');
    expect(s).toMatchObject({ pid: 29396, ppid: 29393, stateCode: 'S', threadCount: 1, startTicks: 296833 });
    expect(s.virtualBytes).toBe(2654208);
    expect(s.residentPages).toBe(383);
    expect(s.startCode).toBe(94682915590144);
    expect(s.argStart).toBe(140728479590833);
    expect(s.argEnd).toBe(140728479590890);
    // Same start time as the independent field-22 reader.
    expect(s.startTicks).toBe(parseStartTicks(fixture('odd-name.stat').toString('latin1')));
  });

  it('reads a multi-threaded user process', () => {
    const s = parse('node.stat')!;
    expect(s).toMatchObject({ pid: 29285, name: 'node', ppid: 29238, utimeTicks: 12, stimeTicks: 7, nice: 0, threadCount: 7 });
    expect(s.flags & PF_KTHREAD).toBe(0);
  });

  it('reads a zombie: state Z, no memory, no mm addresses', () => {
    const s = parse('zombie.stat')!;
    expect(s).toMatchObject({ name: 'sleep', stateCode: 'Z', residentPages: 0, virtualBytes: 0, startCode: 0, argStart: 0 });
    expect(processStateOf(s.stateCode)).toBe('zombie');
  });

  it('reads kernel threads: PF_KTHREAD set, ppid 0 for kthreadd, negative nice, idle state', () => {
    const k = parse('kthreadd.stat')!;
    expect(k).toMatchObject({ pid: 2, name: 'kthreadd', ppid: 0 });
    expect(k.flags & PF_KTHREAD).toBe(PF_KTHREAD);
    const w = parse('kworker.stat')!;
    expect(w).toMatchObject({ pid: 4, name: 'kworker/R-rcu_gp', ppid: 2, nice: -20, stateCode: 'I' });
    expect(w.flags & PF_KTHREAD).toBe(PF_KTHREAD);
    expect(processStateOf(w.stateCode)).toBe('idle');
  });

  it('returns null for truncated or malformed lines', () => {
    const line = fixture('node.stat');
    expect(parseProcStat(line, 40)).toBeNull();
    expect(parseProcStat(Buffer.from('garbage'), 7)).toBeNull();
    expect(parseProcStat(Buffer.from('12 (x) S 1 a b'), 14)).toBeNull();
  });

  it('maps every proc(5) state letter', () => {
    expect(['R', 'S', 'D', 'T', 't', 'Z', 'X', 'I', 'P'].map(processStateOf)).toEqual([
      'running', 'sleeping', 'disk-sleep', 'stopped', 'traced', 'zombie', 'dead', 'idle', 'unknown',
    ]);
  });
});

describe('statFields, statStateOf and statCommOf (one-off reads)', () => {
  it('count from the last ")" as parseProcStat does, on every recorded file', () => {
    for (const name of ['odd-name.stat', 'node.stat', 'zombie.stat']) {
      const text = fixture(name).toString('latin1');
      const parsed = parse(name)!;
      expect(statStateOf(text), name).toBe(parsed.stateCode);
      const fields = statFields(text);
      expect(fields[0], name).toBe(parsed.stateCode);
      expect(Number(fields[1]), `${name} ppid (field 4)`).toBe(parsed.ppid);
      expect(Number(fields[19]), `${name} start time (field 22)`).toBe(parsed.startTicks);
    }
  });

  it.runIf(process.platform === 'linux')("read this very process: running, and its parent is node's ppid", () => {
    const text = readFileSync('/proc/self/stat', 'latin1');
    expect(statStateOf(text)).toBe('R');
    expect(Number(statFields(text)[1])).toBe(process.ppid);
  });

  it.runIf(process.platform === 'linux')('statCommOf reads the name the comm file shows, even one with ") (" and UTF-8 in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'procscope-comm-'));
    const exe = join(dir, 'a) (b é');
    copyFileSync('/bin/sleep', exe);
    const child = spawn(exe, ['30'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      let comm = '';
      for (let i = 0; i < 200 && comm !== 'a) (b é'; i++) {
        comm = readFileSync(`/proc/${child.pid}/comm`, 'utf8').replace(/\n$/, '');
        if (comm !== 'a) (b é') await new Promise((r) => setTimeout(r, 5)); // until the exec has happened
      }
      const line = readFileSync(`/proc/${child.pid}/stat`);
      expect(statCommOf(line)).toBe(comm);
      expect(comm).toBe('a) (b é');
      // latin1: the bytes as they are, one character each (what pr_fname takes)
      expect(Buffer.from(statCommOf(line, 'latin1')!, 'latin1')).toEqual(Buffer.from('a) (b é', 'utf8'));
      expect(statFields(line.toString('latin1'))[0]).toMatch(/^[RS]$/);
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('give nothing for a line with no comm field', () => {
    expect(statCommOf(Buffer.from('12 (cut'))).toBeNull();
    expect(statCommOf(Buffer.from(''))).toBeNull();
    expect(statStateOf('')).toBe('');
    expect(statStateOf('12 (cut')).toBe('');
    expect(statFields('12 (cut')).toEqual([]);
  });
});

// The ELF core → AnalysisInput adapter on a real mini core of the parked-threads fixture started with a long
// command line: the whole argv comes back from the stack (PRPSINFO keeps 79 bytes), each thread carries its
// syscall number and arguments and CPU times and its name (our PROCSCOPE note), frames keep their trust and names,
// modules their build ids.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinuxCoreWriter } from '../../dump/linux/linux-core-writer';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { compileParkedThreadsSync, startParkedThreads, type ParkedProcess } from '../unwind/__fixtures__/parked-threads';
import { openElfAnalysisInput } from './elf-analysis-input';

const ARGS = ['--first', 'a b', '--padding=' + 'x'.repeat(120), '--last'];

describe('ELF core as analysis input', () => {
  let dir: string;
  let exe: string;
  let target: ParkedProcess;
  let core: string;
  let startTimeMs: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'procscope-elf-input-'));
    exe = compileParkedThreadsSync(dir);
    target = await startParkedThreads(exe, ARGS);
    startTimeMs = readProcessStartTimeMs(target.pid)!;
    core = (await createLinuxCoreWriter().write({ pid: target.pid, startTimeMs, kind: 'mini', outDir: dir })).path;
  });
  afterAll(() => {
    target?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the process, every thread with its syscall, and the modules', async () => {
    const input = await openElfAnalysisInput(core);
    try {
      expect(input.format).toBe('elf-core');
      expect(input.dumpKind).toBe('mini');
      expect(input.process).toMatchObject({ pid: target.pid, ppid: process.pid, name: 'parked-threads', uid: process.getuid!() });
      expect(input.process.commandLine).toBe(`${exe} --first "a b" ${ARGS[2]} --last`);
      expect(input.threads.map((t) => t.tid).sort()).toEqual([...target.names.keys()].sort());
      // Names and the start time come from our PROCSCOPE note: each thread's comm, read while it was stopped.
      expect(Object.fromEntries(input.threads.map((t) => [t.tid, t.name]))).toEqual(Object.fromEntries(target.names));
      expect(input.process.startTimeMs).toBe(startTimeMs);
      expect(input.qualityNotes.join('\n')).not.toMatch(/Thread names are not recorded|PROCSCOPE/);
      const byName = new Map(input.threads.map((t) => [target.names.get(t.tid), t]));
      expect(byName.get('pauser')!.syscall!.number).toBe(34);
      expect(byName.get('reader')!.syscall!.number).toBe(0);
      expect(byName.get('deadlock-a')!.syscall).toMatchObject({ number: 202 });
      expect(byName.get('deadlock-a')!.syscall!.args[1]).toBe(0x80n);
      expect(byName.get('busy')!.syscall!.number).toBe(-1);
      expect(byName.get('busy')!.userMs).toBeGreaterThan(0);
      expect(input.threads.every((t) => t.stopSignal === null)).toBe(true);
      const reader = byName.get('reader')!;
      expect(reader.frames[0]!.trust).toBe('context');
      expect(reader.frames.map((f) => f.function)).toContain('park_in_read');
      const libc = input.modules.find((m) => m.name === 'libc.so.6')!;
      expect(libc.identity).toMatch(/^[0-9a-f]{40}$/);
      // Our analysis pack beside the core comes before the local file (module-image.ts's order).
      expect(libc.unwindSource).toBe('pack');
      expect(input.qualityNotes.join('\n')).toMatch(/does not hold the modules' code/);
      const mutexWord = byName.get('deadlock-a')!.syscall!.args[0]!;
      expect((await input.readMemory(mutexWord, 12))?.length).toBe(12);
    } finally {
      await input.close();
    }
    const withoutPack = await openElfAnalysisInput(core, { packPath: false });
    try {
      expect(withoutPack.modules.find((m) => m.name === 'libc.so.6')!.unwindSource).toBe('file');
    } finally {
      await withoutPack.close();
    }
  });
});

// The Linux core writer against real processes: full and mini cores judged by gdb, the target checked alive and
// unaffected afterwards, and cancel mid-way. Errors (gone, recycled, existing file, folder) are in
// linux-core-errors.test.ts; the unprivileged user runs are in the CLI's dump.test.ts.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DumpProgress, DumpResult } from '../../../src-shared/model/dump';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { DumpError } from '../dump-writer';
import { TARGET_PARK_FUNCTIONS, compileDumpTargetSync, startDumpTarget, type RunningTarget } from './__fixtures__/dump-target';
import { createLinuxCoreWriter } from './linux-core-writer';
import { decodeProcscopeNote, NT_PROCSCOPE_INFO } from './procscope-note';
import { attachAllThreadsSync, detachAllSync, instructionPointer, readThreadRegistersSync, type ThreadRegisters } from './ptrace-threads';

function gdbReport(exe: string, core: string, markerAddr: string): string {
  const r = spawnSync(
    'gdb',
    ['-batch', '-nx', '-ex', 'info threads', '-ex', 'thread apply all bt', '-ex', `x/s ${markerAddr}`, exe, core],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return `${r.stdout}\n${r.stderr}`;
}

/** The notes of a core's PT_NOTE segment (elf(5): each is namesz, descsz, type, then name and desc, 4-aligned). */
function coreNotes(path: string): { name: string; type: number; desc: Buffer }[] {
  const file = readFileSync(path);
  const phoff = Number(file.readBigUInt64LE(32));
  const phnum = file.readUInt16LE(56);
  const align4 = (n: number) => (n + 3) & ~3;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * 56;
    if (file.readUInt32LE(ph) !== 4 /* PT_NOTE */) continue;
    const notes: { name: string; type: number; desc: Buffer }[] = [];
    let at = Number(file.readBigUInt64LE(ph + 8));
    const end = at + Number(file.readBigUInt64LE(ph + 32));
    while (at + 12 <= end) {
      const [nameBytes, descBytes, type] = [file.readUInt32LE(at), file.readUInt32LE(at + 4), file.readUInt32LE(at + 8)];
      const name = file.toString('latin1', at + 12, at + 12 + nameBytes).replace(/\0+$/, '');
      const descAt = at + 12 + align4(nameBytes);
      notes.push({ name, type, desc: file.subarray(descAt, descAt + descBytes) });
      at = descAt + align4(descBytes);
    }
    return notes;
  }
  return [];
}

/** Threads gdb lists, and for each "Thread N" block of `thread apply all bt`, its frames. */
function parseBacktraces(out: string): string[] {
  return out.split(/\nThread \d+ \(/).slice(1);
}

async function ticksOf(t: RunningTarget): Promise<number> {
  return Number(/^ticks (\d+)$/.exec(await t.command('ticks'))?.[1] ?? NaN);
}

async function expectAlive(t: RunningTarget): Promise<void> {
  const before = await ticksOf(t);
  await new Promise((r) => setTimeout(r, 50));
  expect(await ticksOf(t)).toBeGreaterThan(before);
  const status = readFileSync(`/proc/${t.pid}/status`, 'latin1');
  expect(status).toMatch(/^TracerPid:\s+0$/m);
  expect(status).toMatch(/^State:\s+S/m);
}

describe('Linux ELF core writer', () => {
  let exe: string;
  let outDir: string;
  let target: RunningTarget;
  let full: DumpResult;

  beforeAll(async () => {
    exe = compileDumpTargetSync();
    outDir = mkdtempSync(join(tmpdir(), 'procscope-dumps-'));
    target = await startDumpTarget(exe, 64);
  });
  afterAll(() => {
    try {
      target?.stop();
    } finally {
      rmSync(outDir, { recursive: true, force: true });
      if (exe) rmSync(dirname(exe), { recursive: true, force: true });
    }
  });

  it('writes a full core that gdb opens with every thread, backtrace and the heap marker', async () => {
    const progress: DumpProgress[] = [];
    full = await createLinuxCoreWriter().write(
      { pid: target.pid, startTimeMs: readProcessStartTimeMs(target.pid)!, kind: 'full', outDir },
      { onProgress: (p) => progress.push(p) },
    );
    expect(basename(full.path)).toMatch(new RegExp(`^dump-target_${target.pid}_\\d{8}_\\d{6}_full\\.core$`));
    expect(statSync(full.path).mode & 0o777).toBe(0o600);
    expect(full.fileBytes).toBe(statSync(full.path).size);
    expect(full.sha256).toBe(createHash('sha256').update(readFileSync(full.path)).digest('hex'));
    expect(full.bytesOnDisk).toBeGreaterThan(64 * 2 ** 20);
    expect(full.bytesOnDisk).toBeLessThan(full.fileBytes); // sparse: untouched pages are holes
    expect(full.unreadableBytes).toBe(2 * 4096); // the two pages past the end of dump-target's short file
    expect(full.targetPauseMs).toBeGreaterThan(0);
    expect(full.targetPauseMs).toBeLessThanOrEqual(full.durationMs);
    expect(progress.at(-1)?.phase).toBe('finishing');
    expect(progress.some((p) => p.phase === 'writing' && p.estimatedTotalBytes === full.fileBytes)).toBe(true);

    const out = gdbReport(exe, full.path, target.markerAddr);
    const blocks = parseBacktraces(out);
    expect(blocks).toHaveLength(TARGET_PARK_FUNCTIONS.length);
    for (const fn of TARGET_PARK_FUNCTIONS) expect(blocks.filter((b) => b.includes(` ${fn} (`))).toHaveLength(1);
    expect(out).toContain(`"${target.markerText}"`);
    expect(out).not.toMatch(/too small|Cannot access memory/);
    await expectAlive(target);
  });

  it('writes a mini core with every thread and backtrace, far smaller than the full one', async () => {
    const mini = await createLinuxCoreWriter().write({
      pid: target.pid,
      startTimeMs: readProcessStartTimeMs(target.pid)!,
      kind: 'mini',
      outDir,
    });
    expect(basename(mini.path)).toMatch(/_mini\.core$/);
    expect(mini.sha256).toBe(createHash('sha256').update(readFileSync(mini.path)).digest('hex'));
    expect(mini.bytesOnDisk * 10).toBeLessThan(full.bytesOnDisk);
    const out = gdbReport(exe, mini.path, target.markerAddr);
    const blocks = parseBacktraces(out);
    expect(blocks).toHaveLength(TARGET_PARK_FUNCTIONS.length);
    for (const fn of TARGET_PARK_FUNCTIONS) expect(blocks.filter((b) => b.includes(` ${fn} (`))).toHaveLength(1);

    // Our PROCSCOPE note comes last: every thread's comm, the kind, the start time. gdb skips it: the same core
    // with the note cut off (PT_NOTE's p_filesz shortened) gives gdb's very same threads and backtraces.
    const notes = coreNotes(mini.path);
    const ours = notes.at(-1)!;
    expect([ours.name, ours.type]).toEqual(['PROCSCOPE', NT_PROCSCOPE_INFO]);
    const info = decodeProcscopeNote(ours.desc);
    const comms = Object.fromEntries(readdirSync(`/proc/${target.pid}/task`).map((t) => [Number(t), readFileSync(`/proc/${target.pid}/task/${t}/comm`, 'utf8').trim()]));
    expect(Object.fromEntries(info.threads.map((t) => [t.tid, t.name]))).toEqual(comms);
    expect(info).toMatchObject({ dumpKind: 'mini', processStartTimeMs: readProcessStartTimeMs(target.pid) });
    const stripped = join(outDir, 'without-procscope-note.core');
    const bytes = Buffer.from(readFileSync(mini.path));
    const phoff = Number(bytes.readBigUInt64LE(32));
    const notePh = Array.from({ length: bytes.readUInt16LE(56) }, (_, i) => phoff + i * 56).find((ph) => bytes.readUInt32LE(ph) === 4)!;
    const ourBytes = 12 + 12 + ((ours.desc.length + 3) & ~3); // header, "PROCSCOPE\0" padded to 12, desc
    bytes.writeBigUInt64LE(bytes.readBigUInt64LE(notePh + 32) - BigInt(ourBytes), notePh + 32);
    writeFileSync(stripped, bytes, { mode: 0o600 });
    try {
      expect(coreNotes(stripped)).toHaveLength(notes.length - 1);
      const backtraces = (report: string) => report.slice(report.indexOf('\nThread ')).replaceAll(stripped, mini.path);
      expect(backtraces(gdbReport(exe, stripped, target.markerAddr))).toBe(backtraces(out));
    } finally {
      rmSync(stripped, { force: true });
    }
    await expectAlive(target);
  });

  it('gdb reads from the core what ptrace reads live: each parked thread\'s rip, the code bytes there, and xmm0', async () => {
    // Live, straight from ptrace and /proc/PID/mem: the target's threads sit in syscalls, so these hold still.
    const attached = attachAllThreadsSync(target.pid);
    let live: ThreadRegisters[];
    try {
      live = attached.threads.map(readThreadRegistersSync).filter((r): r is ThreadRegisters => r !== null);
    } finally {
      detachAllSync(attached.threads);
    }
    // user_fpregs_struct (FXSAVE) keeps xmm0 at byte 160; dump-target.c's park_delta loaded this pattern there.
    const vector = live.find((r) => r.fpRegs?.subarray(160, 176).toString('latin1') === 'PROCSCOPEXMM0000');
    expect(vector, 'no thread with the xmm0 pattern').toBeDefined();
    const codeAt = (rip: number): string[] => {
      const fd = openSync(`/proc/${target.pid}/mem`, 'r');
      try {
        const b = Buffer.alloc(16);
        expect(readSync(fd, b, 0, 16, rip)).toBe(16);
        return [...b].map((x) => `0x${x.toString(16).padStart(2, '0')}`);
      } finally {
        closeSync(fd);
      }
    };
    const mini = await createLinuxCoreWriter().write({ pid: target.pid, startTimeMs: readProcessStartTimeMs(target.pid)!, kind: 'mini', outDir });
    const script = join(outDir, 'registers.gdb');
    // With only NT_PRFPREG gdb knows SSE alone and has no $ymm0; the AVX view needs NT_X86_XSTATE.
    const avx = /^flags\s*:.*\bavx\b/m.test(readFileSync('/proc/cpuinfo', 'latin1'));
    // ymm0 in a pass of its own after a marker: an error there (no AVX view) must not hide the rest.
    const ymm = avx ? 'echo ===ymm===\\n\nthread apply all -c p/x $ymm0.v8_int32\n' : '';
    writeFileSync(script, `define psregs\n  bt\n  info registers rip\n  p/x $xmm0.v4_int32\n  x/16xb $pc\nend\nthread apply all psregs\n${ymm}`);
    for (const core of [full.path, mini.path]) {
      const r = spawnSync('gdb', ['-batch', '-nx', '-x', script, exe, core], { encoding: 'utf8', timeout: 60_000 });
      const [regsOut, ymmOut = ''] = r.stdout.split('===ymm===');
      const ymmByTid = new Map(parseBacktraces(ymmOut).map((b) => [Number(/LWP (\d+)/.exec(b)?.[1]), /^\$\d+ = \{([^}]*)\}/m.exec(b)?.[1]?.split(', ')]));
      const byTid = new Map(
        parseBacktraces(regsOut!).map((block) => [
          Number(/LWP (\d+)/.exec(block)?.[1]),
          {
            block,
            rip: Number(/^rip\s+(0x[0-9a-f]+)/m.exec(block)?.[1]),
            xmm0: /^\$\d+ = \{([^}]*)\}/m.exec(block)?.[1]?.split(', '),
            code: [...block.matchAll(/^0x[0-9a-f]+(?: <[^>]*>)?:((?:\s+0x[0-9a-f]{2})+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/)),
          },
        ]),
      );
      expect(byTid.size, `${basename(core)}: ${r.stdout.slice(0, 400)}${r.stderr.slice(0, 400)}`).toBe(live.length);
      const v = byTid.get(vector!.tid)!;
      expect(v.block).toContain(' park_delta (');
      const pattern = ['0x434f5250', '0x504f4353', '0x4d4d5845', '0x30303030'];
      expect(v.xmm0, `${basename(core)}: xmm0`).toEqual(pattern);
      if (avx) expect(ymmByTid.get(vector!.tid)?.slice(0, 4), `${basename(core)}: ymm0's low half (NT_X86_XSTATE)`).toEqual(pattern);
      // gdb prefers NT_X86_XSTATE when both are there; other readers (lldb, eu-stack) take NT_PRFPREG, so check
      // that one in the file itself: one per thread, with the pattern at xmm0 for the vector thread.
      const notes = coreNotes(core);
      const fpNotes = notes.filter((n) => n.name === 'CORE' && n.type === 2);
      expect(fpNotes.map((n) => n.desc.length), `${basename(core)}: NT_PRFPREG per thread`).toEqual(live.map(() => 512));
      expect(fpNotes.filter((n) => n.desc.subarray(160, 176).toString('latin1') === 'PROCSCOPEXMM0000')).toHaveLength(1);
      expect(notes.filter((n) => n.name === 'LINUX' && n.type === 0x202), `${basename(core)}: NT_X86_XSTATE per thread`).toHaveLength(live.length);
      let compared = 0;
      for (const regs of live) {
        const g = byTid.get(regs.tid)!;
        if (g.block.includes('heartbeat_loop')) continue; // wakes every millisecond: its rip moves between reads
        expect(g.rip, `${basename(core)}: rip of thread ${regs.tid}`).toBe(instructionPointer(regs));
        expect(g.code, `${basename(core)}: code bytes at rip of thread ${regs.tid} (PT_LOAD offsets)`).toEqual(codeAt(instructionPointer(regs)));
        compared++;
      }
      expect(compared).toBe(live.length - 1);
    }
    rmSync(mini.path);
    await expectAlive(target);
  });

  it('cancels mid-way through a large dump: no file left, target running', async () => {
    const big = await startDumpTarget(exe, 256);
    const dir = mkdtempSync(join(tmpdir(), 'procscope-cancel-'));
    // The writer reports progress at most every 100 ms of performance.now(), and on a quiet machine the 256 MiB copy
    // takes about that long, so on the real clock the report past 64 MiB often never came and the cancel never
    // fired. A clock that moves 100 ms per reading lets every 1 MiB batch report, so the cancel lands at a known
    // point, with copying under way, however fast or loaded the machine is.
    let fakeNowMs = performance.now();
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => (fakeNowMs += 100));
    try {
      const abort = new AbortController();
      let seenBytes = 0;
      let total = 0;
      const after: DumpProgress[] = [];
      const attempt = createLinuxCoreWriter().write(
        { pid: big.pid, startTimeMs: readProcessStartTimeMs(big.pid)!, kind: 'full', outDir: dir },
        {
          signal: abort.signal,
          onProgress: (p) => {
            if (abort.signal.aborted) after.push(p);
            else if (p.phase === 'writing' && p.bytesWritten > 64 * 2 ** 20) {
              seenBytes = p.bytesWritten;
              total = p.estimatedTotalBytes ?? 0;
              abort.abort();
            }
          },
        },
      );
      await expect(attempt).rejects.toSatisfy((e) => e instanceof DumpError && e.code === 'cancelled');
      expect(seenBytes).toBeGreaterThan(64 * 2 ** 20);
      expect(total - seenBytes).toBeGreaterThan(64 * 2 ** 20); // stopped mid-way, with much still to copy
      expect(after).toEqual([]); // nothing more was written or reported after the cancel
      expect(readdirSync(dir)).toEqual([]);
      clock.mockRestore();
      await expectAlive(big);
    } finally {
      clock.mockRestore();
      big.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The unwinder judged by gdb and eu-stack on real cores of a -O2 -fomit-frame-pointer program whose threads park
// in named functions (a mutex deadlock pair, pthread_join, pause, a pipe read, nanosleep, a busy loop, pause in a
// signal handler, the main thread in fgets): full and mini cores by our writer and a gcore core. Every frame with
// trust context/cfi must equal gdb's physical frames (pc, i.e. module + module-relative address) and eu-stack's
// (pc, module, build id). Then the mini core with the local files hidden and a folder of wrong files: they are
// refused and the stacks fall back to scanning, marked so. Last, a node process parked in JavaScript 25 calls deep:
// frame pointers carry the walk through V8's code, where gdb gives up.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { createLinuxCoreWriter } from '../../dump/linux/linux-core-writer';
import { compileParkedThreadsSync, euStackFrames, gdbFrames, PARKED_FUNCTIONS, startParkedThreads, type ParkedProcess } from './__fixtures__/parked-threads';
import { openElfCore } from '../elf/elf-core-reader';
import { readCoreStacks, type CoreStacks } from './core-stacks';
import type { StackFrame } from './x86-64-unwinder';

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const trusted = (f: StackFrame): boolean => f.trust === 'context' || f.trust === 'cfi';

interface Agreement {
  threads: number;
  frames: number;
  equal: number;
  differing: string[];
}

/** Compares every thread's context/cfi frames with gdb's physical frames, pc by pc. */
function compareWithGdb(result: CoreStacks, gdb: Map<number, { pc: bigint }[]>): Agreement {
  const a: Agreement = { threads: 0, frames: 0, equal: 0, differing: [] };
  for (const s of result.stacks) {
    const judge = gdb.get(s.tid);
    if (!judge) {
      a.differing.push(`thread ${s.tid}: gdb does not list it`);
      continue;
    }
    a.threads++;
    const ours = s.frames.filter(trusted);
    const n = Math.max(ours.length, judge.length);
    for (let i = 0; i < n; i++) {
      a.frames++;
      if (ours[i]?.pc === judge[i]?.pc) a.equal++;
      else a.differing.push(`thread ${s.tid} frame ${i}: ours ${ours[i] ? `${ours[i]!.module}+${hex(ours[i]!.moduleOffset ?? 0n)}` : '-'}, gdb ${judge[i] ? hex(judge[i]!.pc) : '-'}`);
    }
  }
  return a;
}

describe('x86-64 unwinder against gdb and eu-stack', () => {
  let dir: string;
  let exe: string;
  let target: ParkedProcess;
  const cores: Record<'full' | 'mini' | 'gcore', string> = { full: '', mini: '', gcore: '' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'procscope-unwind-'));
    exe = compileParkedThreadsSync(dir);
    target = await startParkedThreads(exe);
    const request = { pid: target.pid, startTimeMs: readProcessStartTimeMs(target.pid)!, outDir: dir };
    cores.full = (await createLinuxCoreWriter().write({ ...request, kind: 'full' })).path;
    cores.mini = (await createLinuxCoreWriter().write({ ...request, kind: 'mini' })).path;
    const g = spawnSync('gcore', ['-o', join(dir, 'gcore'), String(target.pid)], { encoding: 'utf8', timeout: 60_000 });
    cores.gcore = join(dir, `gcore.${target.pid}`);
    if (g.status !== 0) throw new Error(`gcore failed: ${g.stderr}`);
  });
  afterAll(() => {
    target?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const kind of ['full', 'mini', 'gcore'] as const) {
    it(`unwinds every thread of the ${kind} core as gdb and eu-stack do, naming the parked functions`, async () => {
      const result = await readCoreStacks(cores[kind]);
      try {
        expect(result.stacks.map((s) => s.tid).sort()).toEqual([...target.names.keys()].sort());
        const agreement = compareWithGdb(result, gdbFrames(exe, cores[kind]));
        console.log(`${kind} core vs gdb: ${agreement.threads} threads, ${agreement.frames} frames compared, ${agreement.equal} equal, ${agreement.differing.length} differing`);
        expect(agreement.differing).toEqual([]);
        expect(agreement.threads).toBe(target.names.size);

        const eu = euStackFrames(exe, cores[kind]);
        if (eu) {
          let compared = 0;
          for (const s of result.stacks) {
            const ours = s.frames.filter(trusted).map((f) => ({ pc: f.pc, module: f.module, buildId: result.modules.moduleAt(f.pc)?.buildId }));
            expect(ours, `thread ${s.tid} vs eu-stack`).toEqual(eu.get(s.tid)!.map((f) => ({ pc: f.pc, module: f.module === 'linux-vdso.so.1' ? '[vdso]' : f.module, buildId: f.buildId })));
            compared += ours.length;
          }
          console.log(`${kind} core vs eu-stack: ${compared} frames equal (pc, module, build id)`);
        } else console.log('eu-stack is not installed (apt-get install elfutils): judged by gdb only');

        for (const s of result.stacks) {
          const name = target.names.get(s.tid)!;
          expect(s.frames.map((f) => f.function), `thread ${name}`).toContain(PARKED_FUNCTIONS[name]);
          expect(s.frames[0]!.trust).toBe('context');
          expect(s.frames.slice(1).every((f) => f.trust === 'cfi'), `thread ${name}: ${s.frames.map((f) => f.trust).join(' ')}`).toBe(true);
          expect(s.stopReason).toMatch(/^end of stack/);
          expect(s.problems).toEqual([]);
        }
        const sources = Object.fromEntries(result.modules.modules.map((m) => [m.name, m.unwindSource?.kind]));
        // A full core holds every module's .eh_frame; gcore and the mini core keep only header pages, so the
        // tables come from the local files, accepted because their build ids match.
        expect(sources['libc.so.6']).toBe(kind === 'full' ? 'core' : 'file');
        expect(sources['parked-threads']).toBe(kind === 'full' ? 'core' : 'file');
        expect(sources['[vdso]']).toBe('core');
      } finally {
        await result.close();
      }
    });
  }

  it("reads the same NT_FILE from gcore's core (page_size 1) and ours (4096), matching /proc/PID/maps", async () => {
    const [ours, theirs] = [await openElfCore(cores.full), await openElfCore(cores.gcore)];
    try {
      expect(ours.filePageBytes).toBe(4096);
      expect(theirs.filePageBytes).toBe(1);
      const rows = (c: typeof ours) => c.files.map((f) => `${hex(f.start)}-${hex(f.end)} ${hex(f.fileOffset)} ${f.path}`);
      expect(rows(theirs)).toEqual(rows(ours));
      const maps = readFileSync(`/proc/${target.pid}/maps`, 'utf8').split('\n').filter((l) => / \/\S/.test(l))
        .map((l) => l.split(/\s+/)).map(([range, , offset, , , path]) => {
          const [a, b] = range!.split('-');
          return `0x${BigInt(`0x${a}`).toString(16)}-0x${BigInt(`0x${b}`).toString(16)} 0x${BigInt(`0x${offset}`).toString(16)} ${path}`;
        });
      expect(rows(ours)).toEqual(maps);
      // The registers are the same in both: every parked thread is in the same syscall in both cores.
      for (const c of [ours, theirs]) {
        const byName = new Map(c.threads.map((t) => [target.names.get(t.tid), t]));
        expect(byName.get('deadlock-a')!.regs.orig_rax).toBe(202n);
        expect(byName.get('pauser')!.regs.orig_rax).toBe(34n);
        expect(byName.get('reader')!.regs.orig_rax).toBe(0n);
        // nanosleep, or restart_syscall (219) once a ptrace stop (the other dump's) has interrupted it.
        expect([35n, 219n, 230n]).toContain(byName.get('sleeper')!.regs.orig_rax);
        expect(c.threads.every((t) => t.hasFpregs)).toBe(true);
      }
    } finally {
      await ours.close();
      await theirs.close();
    }
  });

  it('refuses files whose build id differs, and falls back to scanning, marked so', async () => {
    const wrong = join(dir, 'wrong-files');
    mkdirSync(wrong);
    compileParkedThreadsSync(wrong, 1); // the same program with VARIANT=1: another build id
    const libm = readdirSync('/usr/lib/x86_64-linux-gnu').find((f) => f === 'libm.so.6')!;
    copyFileSync(join('/usr/lib/x86_64-linux-gnu', libm), join(wrong, 'libc.so.6'));
    const probe = await readCoreStacks(cores.mini);
    const libcId = probe.modules.modules.find((m) => m.name === 'libc.so.6')!.buildId!;
    await probe.close();
    mkdirSync(join(wrong, '.build-id', libcId.slice(0, 2)), { recursive: true });
    copyFileSync(join(wrong, 'libc.so.6'), join(wrong, '.build-id', libcId.slice(0, 2), `${libcId.slice(2)}.debug`));

    const result = await readCoreStacks(cores.mini, { localFiles: false, symbolFolders: [wrong] });
    const gdb = gdbFrames(exe, cores.mini);
    try {
      for (const name of ['libc.so.6', 'parked-threads']) {
        const m = result.modules.modules.find((x) => x.name === name)!;
        expect(m.unwindSource).toBeNull();
        expect(m.notes.some((n) => /was refused: its build id [0-9a-f]+ is not the dumped module's/.test(n)), m.notes.join('\n')).toBe(true);
      }
      let truthFound = 0;
      let scanned = 0;
      for (const s of result.stacks) {
        expect(s.frames[0]!.trust).toBe('context');
        const rest = s.frames.slice(1);
        expect(rest.filter((f) => f.module !== 'ld-linux-x86-64.so.2' && f.module !== '[vdso]').every((f) => f.trust === 'scan')).toBe(true);
        scanned += rest.length;
        const truth = new Set(gdb.get(s.tid)!.map((f) => f.pc));
        truthFound += rest.filter((f) => truth.has(f.pc)).length;
      }
      console.log(`scan fallback: ${scanned} scanned frames, ${truthFound} of them on gdb's stacks`);
      expect(scanned).toBeGreaterThan(result.stacks.length);
      expect(truthFound).toBeGreaterThan(result.stacks.length);
    } finally {
      await result.close();
    }
  });
});

describe('x86-64 unwinder on a node process parked in JavaScript', () => {
  it('walks the main thread through V8 by frame pointers, agreeing with gdb where gdb has CFI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'procscope-unwind-node-'));
    // 25 interpreted frames of down(), then a blocking read on stdin from JavaScript.
    const script = "const fs=require('fs');function down(n){if(n===0){process.stdout.write('ready\\n');const b=Buffer.alloc(1);fs.readSync(0,b);return b[0];}return down(n-1)+1;}down(25);";
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve, reject) => {
        child.stdout!.once('data', resolve);
        child.once('exit', (code) => reject(new Error(`node exited with ${code}`)));
      });
      const pid = child.pid!;
      for (let i = 0; i < 200 && readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')[0] !== '0'; i++) await new Promise((r) => setTimeout(r, 20));
      const core = (await createLinuxCoreWriter().write({ pid, startTimeMs: readProcessStartTimeMs(pid)!, kind: 'mini', outDir: dir })).path;
      child.kill('SIGKILL');
      const result = await readCoreStacks(core);
      try {
        const main = result.stacks.find((s) => s.tid === pid)!;
        const f = main.frames;
        const trusts = f.map((x) => x.trust);
        console.log(`node main thread: ${f.length} frames (${trusts.filter((t) => t === 'cfi').length} cfi, ${trusts.filter((t) => t === 'frame_pointer').length} frame_pointer, ${trusts.filter((t) => t === 'scan').length} scan), ${main.stopReason}`);
        expect(f.length).toBeGreaterThanOrEqual(20);
        expect(trusts.filter((t) => t === 'scan')).toEqual([]);
        expect(main.stopReason).toMatch(/^end of stack/);
        const names = f.map((x) => x.function);
        expect(names).toContain('read');
        expect(names).toContain('_ZN4node5StartEiPPc');
        expect(names.at(-1)).toBe('_start');
        // The 26 calls of down() run in V8's interpreter: frames outside every module, found by frame pointer.
        expect(f.filter((x) => x.module === null && x.trust === 'frame_pointer').length).toBeGreaterThanOrEqual(26);
        // The judges are right up to the first frame outside a module (past it they have no CFI and guess):
        // eu-stack's frames there must equal ours; gdb's must all be ours, in order (on some runs gdb 13 skips
        // node::fs::Read, whose call to uv_fs_read sits at node+0x957563, so it is not held to equality).
        const sureOf = <T extends { pc: bigint }>(list: T[]): T[] => list.slice(0, list.findIndex((g) => !result.modules.moduleAt(g.pc)) + 1);
        const eu = euStackFrames(process.execPath, core);
        if (eu) {
          const euSure = sureOf(eu.get(pid)!);
          expect(euSure.length).toBeGreaterThanOrEqual(5);
          expect(f.slice(0, euSure.length).map((x) => hex(x.pc))).toEqual(euSure.map((g) => hex(g.pc)));
          console.log(`node main thread vs eu-stack: ${euSure.length} frames eu-stack unwinds with CFI, all equal`);
        }
        const gdbSure = sureOf(gdbFrames(process.execPath, core).get(pid)!);
        let at = 0;
        for (const g of gdbSure) {
          while (at < f.length && f[at]!.pc !== g.pc) at++;
          expect(at, `gdb's frame ${hex(g.pc)} is not on our stack in order`).toBeLessThan(f.length);
        }
        const skipped = f.slice(0, at + 1).filter((x) => !gdbSure.some((g) => g.pc === x.pc)).map((x) => x.function ?? hex(x.pc));
        console.log(`node main thread vs gdb: ${gdbSure.length} frames gdb unwinds with CFI, all on our stack in order${skipped.length ? `; gdb skipped ${skipped.join(', ')}` : ''}`);
        expect(gdbSure.length).toBeGreaterThanOrEqual(4);
      } finally {
        await result.close();
      }
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

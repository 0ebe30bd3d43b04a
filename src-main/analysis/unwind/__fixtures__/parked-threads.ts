/*
 * Test support for the unwinder: compiles parked-threads.c (gcc -O2 -fomit-frame-pointer, symbols kept) into a
 * temp folder, runs it until every thread sits in its wait, and reads the judges' stacks of a core: gdb (through
 * gdb-frames.py: physical frames only) and eu-stack. Used by the unwinder's tests only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Thread name (comm) → the fixture function that must appear on its stack. */
export const PARKED_FUNCTIONS: Record<string, string> = {
  'deadlock-a': 'lock_second_while_holding_first',
  'deadlock-b': 'lock_first_while_holding_second',
  pauser: 'park_in_pause',
  joiner: 'park_in_join',
  reader: 'park_in_read',
  sleeper: 'park_in_nanosleep',
  busy: 'park_busy',
  sighandler: 'park_in_signal_handler',
  'parked-threads': 'main_wait_for_commands',
};

/** Syscall each waiting thread must be in before a dump shows it parked (x86-64 numbers). */
const WAIT_SYSCALLS: Record<string, number[]> = {
  'deadlock-a': [202], 'deadlock-b': [202], pauser: [34], joiner: [202], reader: [0], sleeper: [35, 230], sighandler: [34], 'parked-threads': [0],
};

export function compileParkedThreadsSync(dir = mkdtempSync(join(tmpdir(), 'procscope-unwind-')), variant = 0): string {
  const exe = join(dir, 'parked-threads');
  const r = spawnSync('gcc', ['-O2', '-fomit-frame-pointer', '-pthread', `-DVARIANT=${variant}`, '-o', exe, join(import.meta.dirname, 'parked-threads.c')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed: ${r.stderr}`);
  return exe;
}

/** utime of one thread in clock ticks: field 14 of /proc/PID/task/TID/stat, counted after the ')' of comm. */
function userTicks(pid: number, tid: string): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[11]);
}

export interface ParkedProcess {
  child: ChildProcess;
  pid: number;
  /** tid → thread name. */
  names: Map<number, string>;
  stop(): void;
}

/** `args` are ignored by the program; the report's tests put secrets there for the redaction to find. */
export async function startParkedThreads(exe: string, args: readonly string[] = []): Promise<ParkedProcess> {
  const child = spawn(exe, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('parked-threads did not start')), 20_000);
    lines.once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`parked-threads exited with ${code}`)));
  });
  const pid = Number(/^ready (\d+)$/.exec(ready)?.[1]);
  if (!pid) throw new Error(`parked-threads printed '${ready}'`);
  const names = new Map<number, string>();
  // The barrier lets every thread go at once: wait until each is inside the syscall it parks in.
  for (let tries = 0; ; tries++) {
    names.clear();
    let parked = 0;
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const name = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
      names.set(Number(t), name);
      const nr = Number(readFileSync(`/proc/${pid}/task/${t}/syscall`, 'utf8').split(' ')[0]);
      // The busy thread counts once it has run a clock tick: a test reads its CPU time from the core (utime > 0).
      if (name === 'busy' ? userTicks(pid, t) > 0 : WAIT_SYSCALLS[name]?.includes(nr)) parked++;
    }
    if (parked === Object.keys(PARKED_FUNCTIONS).length && names.size === parked) break;
    if (tries > 200) throw new Error('parked-threads: not every thread reached its wait');
    await new Promise((r) => setTimeout(r, 25));
  }
  return { child, pid, names, stop: () => void child.kill('SIGKILL') };
}

export interface JudgeFrame {
  pc: bigint;
  name: string;
}

/** gdb's physical frames per thread (LWP), through gdb-frames.py. */
export function gdbFrames(exe: string, core: string): Map<number, JudgeFrame[]> {
  const r = spawnSync('gdb', ['-batch', '-nx', '-x', join(import.meta.dirname, 'gdb-frames.py'), exe, core], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 2 ** 20 });
  const out = new Map<number, JudgeFrame[]>();
  let current: JudgeFrame[] | null = null;
  for (const line of r.stdout.split('\n')) {
    const t = /^T (\d+)$/.exec(line);
    if (t) {
      current = [];
      out.set(Number(t[1]), current);
      continue;
    }
    const f = /^F (0x[0-9a-f]+) \S+ (\S+)$/.exec(line);
    if (f && current) current.push({ pc: BigInt(f[1]!), name: f[2]! });
  }
  if (out.size === 0) throw new Error(`gdb printed no threads: ${r.stderr.slice(0, 2000)}`);
  return out;
}

export interface EuFrame {
  pc: bigint;
  module: string;
  buildId: string;
}

/** eu-stack's frames per thread, or null when elfutils is not installed. */
export function euStackFrames(exe: string, core: string): Map<number, EuFrame[]> | null {
  const r = spawnSync('eu-stack', [`--core=${core}`, '-e', exe, '-m', '-b', '-n', '0'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 2 ** 20 });
  if (r.error) return null;
  const out = new Map<number, EuFrame[]>();
  let current: EuFrame[] | null = null;
  for (const line of r.stdout.split('\n')) {
    const t = /^TID (\d+):$/.exec(line);
    if (t) {
      current = [];
      out.set(Number(t[1]), current);
      continue;
    }
    // "#n 0xPC [symbol] - module", or just "#n 0xPC" outside every module (JIT code).
    const f = /^#\d+\s+(0x[0-9a-f]+)(?:.* - (\S+))?$/.exec(line);
    if (f && current) {
      current.push({ pc: BigInt(f[1]!), module: f[2] ?? '', buildId: '' });
      continue;
    }
    const b = /^\s+\[([0-9a-f]+)\]@0x[0-9a-f]+\+0x[0-9a-f]+$/.exec(line);
    const last = current?.at(-1);
    if (b && last) last.buildId = b[1]!;
  }
  return out;
}

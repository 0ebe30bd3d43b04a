/*
 * A Linux core as the report's AnalysisInput (dump-analysis-input.ts): the process from NT_PRPSINFO and NT_FILE,
 * each thread from its NT_PRSTATUS (CPU times, stop signal, orig_rax and the syscall argument registers) with the
 * stack readCoreStacks unwound, the modules with their build ids and where their tables came from, and notes on
 * what the core lacked. The full command line is read from the main thread's stack (the argv strings the kernel
 * put there, found through the auxiliary vector), since PRPSINFO keeps only its first 79 bytes; the environment
 * next to it is never read. Runs in the CLI or main process; reads the core by positional reads only.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { analysisFrames, scannedFrameNotes } from '../analysis-input-parts';
import type { AnalysisInput, AnalysisModule, AnalysisThread } from '../dump-analysis-input';
import { loadAnalysisPack, PACK_SUFFIX } from '../modules/analysis-pack-reader';
import type { ImageOptions } from '../modules/module-image';
import { readCoreStacks } from '../unwind/core-stacks';
import type { ElfCore } from './elf-core-reader';
import { PF_X } from './elf-format';

const AT_PHDR = 3;
const AT_ENTRY = 9;
const AT_EXECFN = 31;
const PSARGS_MAX = 79;
/** How far below AT_EXECFN the auxiliary vector may sit: the argv and envp strings lie between them. */
const ARGS_AREA_MAX_BYTES = 512 * 1024;
const MAX_ARGS = 16_384;

/** Signals whose default action dumps core (signal(7)): a thread stopped by one of them crashed. */
const CORE_SIGNALS: Record<number, string> = {
  3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 11: 'SIGSEGV', 24: 'SIGXCPU', 25: 'SIGXFSZ', 31: 'SIGSYS',
};

function exePath(core: ElfCore): string | null {
  for (const key of [AT_ENTRY, AT_PHDR]) {
    const at = core.auxv.get(key);
    const m = at === undefined ? undefined : core.files.find((f) => at >= f.start && at < f.end);
    if (m) return m.path.replace(/ \(deleted\)$/, '');
  }
  return null;
}

/**
 * argv from the initial stack: the auxiliary vector sits in memory as NT_AUXV holds it, right after envp's
 * terminating NULL; before it come envp's pointers, argv's NULL, argv's pointers and argc (the System V x86-64
 * ABI's initial process stack, §3.4.1). Found by searching the stack below AT_EXECFN for the vector's bytes.
 */
async function argvFromStack(core: ElfCore): Promise<string[] | null> {
  const execfn = core.auxv.get(AT_EXECFN);
  if (execfn === undefined || core.auxv.size < 2) return null;
  const seg = core.segmentAt(execfn);
  if (!seg) return null;
  const from = execfn - BigInt(ARGS_AREA_MAX_BYTES) > seg.start ? execfn - BigInt(ARGS_AREA_MAX_BYTES) : seg.start;
  const aligned = from & ~15n;
  const start = aligned < seg.start ? aligned + 16n : aligned;
  const area = await core.readMemory(start, Number(execfn - start));
  if (!area) return null;
  const first = [...core.auxv.entries()][0]!;
  const needle = Buffer.alloc(16);
  needle.writeBigUInt64LE(BigInt(first[0]), 0);
  needle.writeBigUInt64LE(first[1], 8);
  let auxAt = -1;
  for (let i = area.indexOf(needle); i >= 0; i = area.indexOf(needle, i + 8)) {
    if (i % 8 === 0 && i >= 16 && area.readBigUInt64LE(i - 8) === 0n) {
      auxAt = i;
      break;
    }
  }
  if (auxAt < 0) return null;
  // Back over envp's pointers to argv's NULL, then over argv's pointers to argc.
  let at = auxAt - 16;
  while (at >= 0 && area.readBigUInt64LE(at) !== 0n) at -= 8;
  const argvEnd = at;
  let count = 0;
  for (at = argvEnd - 8; at >= 0 && count <= MAX_ARGS; at -= 8, count++) {
    if (area.readBigUInt64LE(at) === BigInt(count)) break;
  }
  if (at < 0 || count === 0 || count > MAX_ARGS) return null;
  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = area.readBigUInt64LE(at + 8 + i * 8);
    if (p < start || p >= execfn) return null;
    const off = Number(p - start);
    const end = area.indexOf(0, off);
    if (end < 0) return null;
    args.push(area.toString('utf8', off, end));
  }
  return args;
}

/** The command line as one string: argv joined by spaces, an argument with a space or quote in double quotes. */
function joinArgs(args: readonly string[]): string {
  return args.map((a) => (a === '' || /[\s"]/.test(a) ? `"${a.replace(/(["\\])/g, '\\$1')}"` : a)).join(' ');
}

function describeDumpKind(core: ElfCore): { kind: string; codeDumped: boolean } {
  let execBytes = 0n;
  let dumpedExecBytes = 0n;
  for (const s of core.segments) {
    if ((s.flags & PF_X) === 0 || !core.files.some((f) => s.start < f.end && f.start < s.end)) continue;
    execBytes += s.end - s.start;
    dumpedExecBytes += BigInt(s.fileBytes);
  }
  if (execBytes > 0n && dumpedExecBytes === execBytes) return { kind: 'full', codeDumped: true };
  // A mini core (ours) or gcore's keeps at most a header page of each module: call it mini; anything between is
  // a core whose filter kept some code.
  return { kind: dumpedExecBytes * 10n < execBytes ? 'mini' : 'partial (some module code not dumped)', codeDumped: false };
}

export interface ElfAnalysisOptions extends Omit<ImageOptions, 'pack'> {
  /** The analysis pack: a path the user named, false for none; by default `<core>.pack` if it is there. */
  packPath?: string | false;
}

export async function openElfAnalysisInput(path: string, options: ElfAnalysisOptions = {}): Promise<AnalysisInput> {
  const { packPath, ...imageOptions } = options;
  const loaded = packPath === false ? { pack: null, notes: [] } : await loadAnalysisPack(packPath ?? `${path}${PACK_SUFFIX}`, packPath !== undefined);
  const result = await readCoreStacks(path, { ...imageOptions, pack: loaded.pack });
  try {
    const { core, modules, stacks } = result;
    const notes: string[] = [...loaded.notes];
    const p = core.process;
    const exe = exePath(core);

    let commandLine: string | null = null;
    const argv = await argvFromStack(core);
    if (argv) commandLine = joinArgs(argv);
    else if (p?.args) {
      commandLine = p.args;
      if (p.args.length >= PSARGS_MAX) notes.push(`The command line is cut at ${PSARGS_MAX} bytes (NT_PRPSINFO): the core does not hold the stack where the full one lies.`);
    }

    const firstTid = core.threads[0]?.tid;
    const names = new Map((core.procscope?.threads ?? []).map((t) => [t.tid, t.name]));
    const threads: AnalysisThread[] = core.threads.map((t, i) => {
      const s = stacks[i]!;
      const sigName = CORE_SIGNALS[t.cursig];
      const own = core.siginfo && t.tid === firstTid && core.siginfo.signo === t.cursig;
      const frames = analysisFrames(s.frames);
      const orig = BigInt.asIntN(64, t.regs.orig_rax);
      return {
        tid: t.tid,
        name: names.get(t.tid) ?? null,
        userMs: t.userTimeUs / 1000,
        kernelMs: t.systemTimeUs / 1000,
        stopSignal: sigName ? { code: t.cursig, name: sigName, faultAddress: own ? core.siginfo!.faultAddress : null } : null,
        syscall: { number: Number(orig), args: [t.regs.rdi, t.regs.rsi, t.regs.rdx, t.regs.r10, t.regs.r8, t.regs.r9] },
        frames,
        stopReason: s.stopReason,
        problems: s.problems,
      };
    });

    const moduleList: AnalysisModule[] = modules.modules.map((m) => ({
      name: m.name,
      path: m.path,
      base: m.base,
      sizeBytes: m.end - m.base,
      identity: m.buildId,
      version: null,
      unwindSource: m.unwindSource?.kind ?? null,
      symbolSource: m.symbolSource?.kind ?? null,
      notes: m.notes,
    }));

    const kind = describeDumpKind(core);
    if (!kind.codeDumped) {
      const fromFiles = moduleList.filter((m) => m.unwindSource === 'file' || m.unwindSource === 'folder').length;
      const fromPack = moduleList.filter((m) => m.unwindSource === 'pack').length;
      notes.push(
        fromPack > 0
          ? `The core does not hold the modules' code: the unwind tables of ${fromPack} module(s) came from the analysis pack written with it, and of ${fromFiles} from files on this machine whose build ids match.`
          : `The core does not hold the modules' code: the unwind tables of ${fromFiles} module(s) came from files on this machine whose build ids match.`,
      );
    }
    const blind = moduleList.filter((m) => m.unwindSource === null && m.path !== '[vdso]');
    if (blind.length > 0) notes.push(`No unwind table for ${blind.map((m) => m.name).join(', ')}: their frames were found by frame pointers or stack scanning.`);
    const refused = moduleList.filter((m) => m.notes.some((n) => /refused/.test(n)));
    if (refused.length > 0) notes.push(`Files with another build id were refused for ${refused.map((m) => m.name).join(', ')}.`);
    notes.push(...scannedFrameNotes(threads));
    notes.push(...core.noteProblems);
    if (!core.procscope) {
      notes.push('Thread names are not recorded in this core (no PROCSCOPE note: it was not written by Procscope); threads are named by tid.');
    } else if (core.threads.some((t) => !names.get(t.tid))) {
      notes.push(`The PROCSCOPE note names ${core.threads.filter((t) => names.get(t.tid)).length} of the ${core.threads.length} threads.`);
    }
    notes.push("The dump time is the core file's modification time.");

    let dumpTimeMs: number | null = null;
    try {
      dumpTimeMs = Math.round((await stat(path)).mtimeMs);
    } catch {
      dumpTimeMs = null;
    }

    return {
      format: 'elf-core',
      // The kind asked for (our note) says what the user chose; the segments say what a foreign core holds.
      dumpKind: core.procscope && /^(full|mini)$/.test(core.procscope.dumpKind) ? core.procscope.dumpKind : kind.kind,
      os: { family: 'linux', version: null, cpuCount: null },
      process: {
        pid: p?.pid ?? core.threads[0]!.tid,
        ppid: p?.ppid ?? core.threads[0]!.ppid,
        name: exe ? basename(exe) : (p?.fileName ?? '?'),
        commandLine,
        startTimeMs: core.procscope?.processStartTimeMs ?? null,
        dumpTimeMs,
        uid: p?.uid ?? null,
      },
      threads,
      modules: moduleList,
      readMemory: (address, length) => core.readMemory(address, length),
      qualityNotes: notes,
      close: () => result.close(),
    };
  } catch (err) {
    await result.close();
    throw err;
  }
}

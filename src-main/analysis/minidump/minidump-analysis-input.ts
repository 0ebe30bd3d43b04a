/*
 * A Windows minidump as the report's AnalysisInput (dump-analysis-input.ts): the process from MiscInfo and the
 * PEB (image path and command line, when the dump holds that memory: full dumps do), each thread from ThreadList
 * with its name (ThreadNames), CPU times (ThreadInfoList) and the stack pe/x64-pe-stack-walker.ts unwinds from its
 * CONTEXT (the exception thread from the exception's context), the modules with their PE identity, version and
 * where their image came from, and notes on what the dump lacked. `syscall` stays null: inside an Nt* stub only
 * the non-volatile registers are reliable (ANALYSIS.md §7.5). Reads the dump by positional reads only.
 */
import { analysisFrames, scannedFrameNotes } from '../analysis-input-parts';
import type { AnalysisFrame, AnalysisInput, AnalysisModule, AnalysisThread } from '../dump-analysis-input';
import { createPeStackWalker } from '../pe/x64-pe-stack-walker';
import type { Registers } from '../pe/x64-unwind';
import { AMD64_GPR_ORDER, PROCESSOR_ARCHITECTURE_AMD64, StreamType } from './minidump-format';
import { loadAnalysisPack, PACK_SUFFIX } from '../modules/analysis-pack-reader';
import { loadMinidumpModules, type MinidumpImageOptions } from './minidump-modules';
import { openMinidump, type Amd64Context, type Minidump } from './minidump-reader';

/** MINIDUMP_TYPE bits (minidumpapiset.h), for describing a dump not written by us. */
const DUMP_TYPE_BITS: [number, string][] = [
  [0x1, 'WithDataSegs'], [0x2, 'WithFullMemory'], [0x4, 'WithHandleData'], [0x8, 'FilterMemory'], [0x10, 'ScanMemory'],
  [0x20, 'WithUnloadedModules'], [0x40, 'WithIndirectlyReferencedMemory'], [0x80, 'FilterModulePaths'],
  [0x100, 'WithProcessThreadData'], [0x200, 'WithPrivateReadWriteMemory'], [0x400, 'WithoutOptionalData'],
  [0x800, 'WithFullMemoryInfo'], [0x1000, 'WithThreadInfo'], [0x2000, 'WithCodeSegs'], [0x4000, 'WithoutAuxiliaryState'],
  [0x8000, 'WithFullAuxiliaryState'], [0x10000, 'WithPrivateWriteCopyMemory'], [0x20000, 'IgnoreInaccessibleMemory'],
  [0x40000, 'WithTokenInformation'], [0x80000, 'WithModuleHeaders'], [0x100000, 'FilterTriage'], [0x200000, 'WithAvxXStateContext'],
  [0x400000, 'WithIptTrace'], [0x800000, 'ScanInaccessiblePartialPages'],
];
/** The flag sets src-main/dump/win32/minidump-flags.ts gives MiniDumpWriteDump (kept equal by the Wine suite). */
const OUR_FULL = 0x2 | 0x4 | 0x20 | 0x800 | 0x1000 | 0x20000 | 0x40000;
const OUR_MINI = 0x4 | 0x20 | 0x40 | 0x1000;

const EXCEPTION_NAMES: Record<number, string> = {
  0x80000003: 'EXCEPTION_BREAKPOINT', 0x80000004: 'EXCEPTION_SINGLE_STEP', 0xc0000005: 'EXCEPTION_ACCESS_VIOLATION',
  0xc0000006: 'EXCEPTION_IN_PAGE_ERROR', 0xc000001d: 'EXCEPTION_ILLEGAL_INSTRUCTION', 0xc0000025: 'EXCEPTION_NONCONTINUABLE_EXCEPTION',
  0xc000008c: 'EXCEPTION_ARRAY_BOUNDS_EXCEEDED', 0xc0000094: 'EXCEPTION_INT_DIVIDE_BY_ZERO', 0xc00000fd: 'EXCEPTION_STACK_OVERFLOW',
  0xc0000374: 'STATUS_HEAP_CORRUPTION', 0xc0000409: 'STATUS_STACK_BUFFER_OVERRUN', 0xe06d7363: 'C++ exception (MSVC)',
  0xe0434352: '.NET exception (CLR)', 0x40010006: 'DBG_PRINTEXCEPTION_C',
};

export function describeDumpType(flags: bigint): string {
  const f = Number(flags & 0xffffffffn);
  if (f === OUR_FULL) return 'full';
  if (f === OUR_MINI) return 'mini';
  const names = DUMP_TYPE_BITS.filter(([bit]) => f & bit).map(([, n]) => n);
  return `${names.length ? names.join(' | ') : 'MiniDumpNormal'} (0x${f.toString(16)})`;
}

export function contextRegisters(c: Amd64Context): Registers {
  return new Map(AMD64_GPR_ORDER.map((r, i) => [i, c[r]]));
}

/** UNICODE_STRING at `at` (Length u16, MaximumLength u16, Buffer u64 at +8) in the process's memory. */
async function unicodeString(md: Minidump, at: bigint): Promise<string | null> {
  const head = await md.readMemory(at, 16);
  if (!head) return null;
  const length = head.readUInt16LE(0);
  if (length === 0 || length % 2) return null;
  const text = await md.readMemory(head.readBigUInt64LE(8), length);
  return text ? text.toString('utf16le') : null;
}

/** Image path and command line from TEB → PEB (TEB+0x60) → RTL_USER_PROCESS_PARAMETERS (PEB+0x20). */
async function processParameters(md: Minidump): Promise<{ imagePath: string | null; commandLine: string | null }> {
  const teb = md.threads[0]?.tebAddress;
  if (!teb) return { imagePath: null, commandLine: null };
  const peb = (await md.readMemory(teb + 0x60n, 8))?.readBigUInt64LE(0);
  const params = peb ? (await md.readMemory(peb + 0x20n, 8))?.readBigUInt64LE(0) : undefined;
  if (!params) return { imagePath: null, commandLine: null };
  return { imagePath: await unicodeString(md, params + 0x60n), commandLine: await unicodeString(md, params + 0x70n) };
}

export interface MinidumpAnalysisOptions extends Omit<MinidumpImageOptions, 'pack'> {
  /** The analysis pack: a path the user named, false for none; by default `<dump>.pack` if it is there. */
  packPath?: string | false;
}

export async function openMinidumpAnalysisInput(path: string, options: MinidumpAnalysisOptions = {}): Promise<AnalysisInput> {
  const { packPath, ...imageOptions } = options;
  const loaded = packPath === false ? { pack: null, notes: [] } : await loadAnalysisPack(packPath ?? `${path}${PACK_SUFFIX}`, packPath !== undefined);
  const md = await openMinidump(path);
  let modules: Awaited<ReturnType<typeof loadMinidumpModules>> | null = null;
  try {
    modules = await loadMinidumpModules(md, { ...imageOptions, pack: loaded.pack });
    const mods = modules;
    const notes: string[] = [...loaded.notes, ...md.problems];
    const walker = createPeStackWalker({
      moduleAt: (a) => mods.moduleAt(a),
      readMemory: (a, l) => md.readMemory(a, l),
      bytesAvailableAt(a) {
        const r = md.rangeAt(a);
        if (!r) return 0;
        let end = r.start + BigInt(r.dataBytes);
        for (let next = md.rangeAt(end); next; next = md.rangeAt(end)) end = next.start + BigInt(next.dataBytes);
        return Number(end - a);
      },
    });
    const exc = md.exception;
    const threads: AnalysisThread[] = [];
    for (const t of md.threads) {
      const own = exc && exc.threadId === t.threadId ? exc : null;
      const ctx = own?.context ?? t.context;
      const info = md.threadInfo.get(t.threadId);
      let frames: AnalysisFrame[] = [];
      let stopReason = 'no AMD64 context: the thread was not unwound';
      let problems: readonly string[] = [];
      if (ctx) {
        const s = await walker.walk(t.threadId, contextRegisters(ctx));
        frames = analysisFrames(s.frames);
        stopReason = s.stopReason;
        problems = s.problems;
      }
      threads.push({
        tid: t.threadId,
        name: md.threadNames.get(t.threadId) || null,
        userMs: info ? info.userMs : null,
        kernelMs: info ? info.kernelMs : null,
        stopSignal: own
          ? {
            code: own.code,
            name: EXCEPTION_NAMES[own.code] ?? `exception 0x${own.code.toString(16).padStart(8, '0')}`,
            // An access violation's second parameter is the address it touched (winnt.h EXCEPTION_RECORD).
            faultAddress: own.code === 0xc0000005 && own.parameters.length >= 2 ? own.parameters[1]! : own.address,
          }
          : null,
        syscall: null,
        frames,
        stopReason,
        problems,
      });
    }

    const moduleList: AnalysisModule[] = mods.modules.map((m) => ({
      name: m.name,
      path: m.path,
      base: m.base,
      sizeBytes: m.end - m.base,
      identity: m.identity,
      version: m.module.version?.fileVersion ?? null,
      unwindSource: m.hasUnwindTable ? (m.source?.kind ?? null) : null,
      symbolSource: m.image ? (m.source?.kind ?? null) : null,
      notes: m.notes,
    }));

    const has = (t: number): boolean => md.streams.some((s) => s.type === t);
    if (!md.systemInfo) notes.push('The dump has no SystemInfo stream: the OS version and CPU count are unknown.');
    else if (md.systemInfo.processorArchitecture !== PROCESSOR_ARCHITECTURE_AMD64) {
      notes.push(`The dump is of processor architecture ${md.systemInfo.processorArchitecture}, not x64: its threads were not unwound (only x64 is supported).`);
    }
    if (!has(StreamType.ThreadInfoList)) notes.push("The dump has no ThreadInfoList: no per-thread CPU or create times (Wine's dbghelp writes none).");
    if (!has(StreamType.ThreadNames)) notes.push('The dump has no ThreadNames stream: threads are named by tid.');
    if (!has(StreamType.HandleData)) notes.push('The dump has no HandleData: wait targets cannot be named.');
    const fromFiles = moduleList.filter((m) => m.unwindSource === 'file' || m.unwindSource === 'folder');
    if (fromFiles.length > 0) notes.push(`The unwind tables of ${fromFiles.length} module(s) came from files whose TimeDateStamp and SizeOfImage match: ${fromFiles.map((m) => m.name).join(', ')}.`);
    const fromPack = moduleList.filter((m) => m.unwindSource === 'pack');
    if (fromPack.length > 0) notes.push(`The unwind tables and export names of ${fromPack.length} module(s) came from the analysis pack written with the dump: ${fromPack.map((m) => m.name).join(', ')}.`);
    const blind = moduleList.filter((m) => m.unwindSource === null);
    if (blind.length > 0) notes.push(`No unwind table for ${blind.map((m) => m.name).join(', ')}: their frames were found by stack scanning.`);
    const refused = moduleList.filter((m) => m.notes.some((n) => /refused|was not used/.test(n)));
    if (refused.length > 0) notes.push(`Images with another identity were refused for ${refused.map((m) => m.name).join(', ')}.`);
    notes.push(...scannedFrameNotes(threads));

    const { imagePath, commandLine } = await processParameters(md);
    const exe = mods.modules.find((m) => /\.exe$/i.test(m.name)) ?? mods.modules[0];
    const sys = md.systemInfo;
    if (commandLine === null) notes.push('The command line is not in the dump (the PEB\'s process parameters were not dumped).');
    if (md.processId === null) notes.push('The dump has no process id (MiscInfo is missing).');
    return {
      format: 'minidump',
      dumpKind: describeDumpType(md.flags),
      os: {
        family: 'windows',
        version: sys ? `${sys.majorVersion}.${sys.minorVersion}.${sys.buildNumber}${sys.csdVersion ? ` ${sys.csdVersion}` : ''}` : null,
        cpuCount: sys ? sys.processorCount : null,
      },
      process: {
        pid: md.processId ?? 0,
        ppid: null,
        name: imagePath ? (imagePath.split(/[\\/]/).pop() ?? imagePath) : (exe?.name ?? '?'),
        commandLine,
        startTimeMs: md.miscInfo?.processCreateTimeMs ?? null,
        dumpTimeMs: md.timeDateStamp ? md.timeDateStamp * 1000 : null,
        uid: null,
      },
      threads,
      modules: moduleList,
      readMemory: (address, length) => md.readMemory(address, length),
      qualityNotes: notes,
      close: async () => {
        await mods.close();
        await md.close();
      },
    };
  } catch (err) {
    await modules?.close();
    await md.close();
    throw err;
  }
}

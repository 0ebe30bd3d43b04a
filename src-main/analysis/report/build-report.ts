/*
 * Builds the analysis report from an AnalysisInput: classified threads, top CPU, identical stacks grouped, locks
 * and wait chains, the .NET section, modules, quality notes and the weighted findings — then redacts every string
 * (redact.ts) before anything leaves. buildReport's result is the only thing a caller may print or save; it holds
 * no memory contents (the lock pass reads memory for owners only) and no environment. Runs in the CLI or main.
 */
import { basename } from 'node:path';
import {
  ANALYSIS_REPORT_SCHEMA, type AnalysisReport, type ReportDotnet, type ReportFrame, type ReportModule, type ReportStackGroup,
  type ReportThread,
} from '../../../src-shared/model/analysis-report';
import type { AnalysisInput } from '../dump-analysis-input';
import { classifyThread } from './classify-thread';
import { hexOrNull, toReportFrame } from './report-frame';
import { analyseLocks } from './lock-analysis';
import { redactDeep } from './redact';
import { buildFindings } from './report-findings';

const TOP_CPU = 5;
/** A thread using at least this share of the busiest thread's CPU counts as busy when it is not in a syscall. */
const BUSY_SHARE = 0.25;
const GROUP_SUMMARY_FRAMES = 4;

function frameLabel(f: Pick<ReportFrame, 'module' | 'function' | 'offset' | 'pc'>): string {
  if (f.function) return f.module ? `${f.module}!${f.function}` : f.function;
  return f.module ? `${f.module}+${f.offset}` : f.pc;
}

function detectDotnet(input: AnalysisInput): ReportDotnet {
  const runtimes = [
    { re: /^(lib)?coreclr\.(dll|so|dylib)$/i, runtime: 'coreclr' as const },
    { re: /^clr\.dll$/i, runtime: 'clr' as const },
    { re: /^mscorwks\.dll$/i, runtime: 'mscorwks' as const },
  ];
  const hit = input.modules.map((m) => ({ m, r: runtimes.find((r) => r.re.test(m.name)) })).find((x) => x.r);
  const threads = input.threads.filter((t) => t.name?.startsWith('.NET')).map((t) => ({ tid: t.tid, name: t.name! }));
  if (!hit) {
    return { detected: false, runtime: null, module: null, version: null, threads, canSay: [], cannotSay: [], nextStep: null };
  }
  const windows = input.os.family === 'windows';
  return {
    detected: true,
    runtime: hit.r!.runtime,
    module: hit.m.name,
    version: hit.m.version,
    threads,
    canSay: [
      'That the runtime is loaded, and its module identity and version.',
      'Native stacks of every thread, including the runtime\'s own threads (finalizer, GC, thread pool) where their names are recorded.',
      'Threads blocked in native waits, sockets and locks, as for any program.',
    ],
    cannotSay: [
      'Managed (C#) call stacks: JIT-compiled frames show as code outside every module.',
      'Monitor (lock statement) owners, sync blocks and async state machines.',
      'The managed exception in flight, the heap and GC state.',
    ],
    nextStep: windows
      ? 'Open the dump on Windows in WinDbg with SOS (!threads, !clrstack -all, !syncblk, !pe), or run `dotnet-dump analyze DUMP` on Windows: Windows dumps cannot be read by the managed tools on Linux.'
      : 'Run `dotnet-dump analyze CORE` on Linux with the same .NET runtime version (clrstack -all, syncblk, pe), or lldb with SOS.',
  };
}

function stackGroups(threads: readonly ReportThread[]): ReportStackGroup[] {
  const byKey = new Map<string, ReportThread[]>();
  for (const t of threads) {
    if (t.frames.length === 0) continue;
    const key = t.frames.map((f) => (f.module ? `${f.module}+${f.offset}` : f.pc)).join('|');
    byKey.set(key, [...(byKey.get(key) ?? []), t]);
  }
  const groups: ReportStackGroup[] = [];
  for (const ts of byKey.values()) {
    if (ts.length < 2) continue;
    const frames = ts[0]!.frames.map(frameLabel);
    const state = ts[0]!.classification.state;
    const verb = state === 'busy' || state === 'running' ? 'running' : 'waiting';
    const shown = frames.slice(0, GROUP_SUMMARY_FRAMES).join(' ← ') + (frames.length > GROUP_SUMMARY_FRAMES ? ' ← …' : '');
    groups.push({ count: ts.length, tids: ts.map((t) => t.tid), summary: `${ts.length} threads ${verb} in ${shown}`, frames });
  }
  return groups.sort((a, b) => b.count - a.count);
}

/** The report of one dump, unredacted: only buildReport's redacted result may leave this folder. */
async function rawReport(input: AnalysisInput, dumpFile: string): Promise<AnalysisReport> {
  const locks = await analyseLocks(input);
  const cpu = (t: { userMs: number | null; kernelMs: number | null }): number => (t.userMs ?? 0) + (t.kernelMs ?? 0);
  const timed = input.threads.filter((t) => t.userMs !== null || t.kernelMs !== null);
  const maxCpu = Math.max(0, ...timed.map(cpu));
  const top = [...timed].sort((a, b) => cpu(b) - cpu(a)).slice(0, TOP_CPU);
  const busiest = new Set(top.filter((t) => cpu(t) > 0 && cpu(t) >= BUSY_SHARE * maxCpu).map((t) => t.tid));
  const tids = new Set(input.threads.map((t) => t.tid));
  const family = input.os.family;

  const threads: ReportThread[] = input.threads.map((t) => ({
    tid: t.tid,
    name: t.name,
    userMs: t.userMs,
    kernelMs: t.kernelMs,
    syscall: t.syscall?.number ?? null,
    stopSignal: t.stopSignal ? { code: t.stopSignal.code, name: t.stopSignal.name, faultAddress: hexOrNull(t.stopSignal.faultAddress) } : null,
    classification: classifyThread(t, family, { facts: locks.facts.get(t.tid), busiest: busiest.has(t.tid), tids }),
    frames: t.frames.map(toReportFrame),
    stopReason: t.stopReason,
    problems: [...t.problems],
  }));
  const dotnet = detectDotnet(input);
  const modules: ReportModule[] = input.modules.map((m) => ({
    name: m.name, path: m.path, base: hexOrNull(m.base)!, sizeBytes: Number(m.sizeBytes), identity: m.identity, version: m.version,
    unwindSource: m.unwindSource, symbolSource: m.symbolSource, notes: [...m.notes],
  }));
  const qualityNotes = [...input.qualityNotes];
  for (const t of threads) {
    if (!/^end of stack/.test(t.stopReason)) qualityNotes.push(`Thread ${t.tid}: the stack may be truncated (${t.stopReason}).`);
    for (const p of t.problems) qualityNotes.push(`Thread ${t.tid}: ${p}`);
  }
  const { dumpTimeMs, startTimeMs } = input.process;
  return {
    schema: ANALYSIS_REPORT_SCHEMA,
    generator: 'procscope analyze',
    header: {
      process: input.process.name,
      pid: input.process.pid,
      ppid: input.process.ppid,
      uid: input.process.uid,
      commandLine: input.process.commandLine,
      os: { ...input.os },
      dumpFormat: input.format,
      dumpKind: input.dumpKind,
      dumpFile: basename(dumpFile),
      dumpTimeMs,
      processStartTimeMs: startTimeMs,
      uptimeMs: dumpTimeMs !== null && startTimeMs !== null ? dumpTimeMs - startTimeMs : null,
      threadCount: threads.length,
      moduleCount: modules.length,
    },
    findings: buildFindings(threads, locks, locks.locks, dotnet),
    topCpuThreads: top.map((t) => ({ tid: t.tid, name: t.name, userMs: t.userMs ?? 0, kernelMs: t.kernelMs ?? 0, totalMs: cpu(t) })),
    cpuNote: timed.length === 0 ? 'The dump records no per-thread CPU times (a minidump without ThreadInfoList).' : null,
    stackGroups: stackGroups(threads),
    threads,
    locks: locks.locks,
    waitChains: locks.chains,
    dotnet,
    modules,
    qualityNotes,
    redactions: [],
  };
}

/** The redacted report: what the CLI prints, the app shows and the HTML is rendered from. */
export async function buildReport(input: AnalysisInput, dumpFile: string): Promise<AnalysisReport> {
  const raw = await rawReport(input, dumpFile);
  const { value, redactions } = redactDeep(raw, ['header.commandLine']);
  return { ...value, redactions };
}

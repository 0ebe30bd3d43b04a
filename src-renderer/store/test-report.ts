/* A small redacted report for the renderer's tests: a deadlock between two threads, one scanned frame, a secret masked. */
import type { AnalysisView } from '../../src-shared/ipc/analysis-contract';
import type { AnalysisReport, ReportFrame, ReportThread } from '../../src-shared/model/analysis-report';

/** Every field a frame has now; the cast keeps this fixture compiling while the frame gains fields (mangled). */
const frame = (f: Omit<ReportFrame, 'mangled'>): ReportFrame => ({ mangled: null, ...f }) as unknown as ReportFrame;

function thread(tid: number, severity: 'error' | 'info', name: string | null, summary: string): ReportThread {
  return {
    tid, name, userMs: 10, kernelMs: 2, syscall: 202, stopSignal: null,
    classification: { state: severity === 'error' ? 'lock-wait' : 'sleeping', summary, severity, confidence: 'certain', waitsForTid: null },
    frames: [
      frame({ index: 0, pc: '0x7f0000001000', module: 'libc.so.6', offset: '0x91000', function: '__futex_abstimed_wait_common', functionOffset: '0x2c', trust: 'context' }),
      frame({ index: 1, pc: '0x401200', module: 'parked', offset: '0x1200', function: 'lock_both', functionOffset: '0x0', trust: 'cfi' }),
      frame({ index: 2, pc: '0x401500', module: 'parked', offset: '0x1500', function: null, functionOffset: null, trust: 'scan' }),
    ],
    stopReason: 'end of stack', problems: [],
  };
}

export function testReport(): AnalysisReport {
  return {
    schema: 1, generator: 'procscope analyze',
    header: {
      process: 'parked', pid: 812, ppid: 1, uid: 1000, commandLine: 'parked --password=*** run', os: { family: 'linux', version: '6.1', cpuCount: 8 },
      dumpFormat: 'elf-core', dumpKind: 'mini', dumpFile: 'parked_812.core', dumpTimeMs: 2000, processStartTimeMs: 1000, uptimeMs: 1000, threadCount: 3, moduleCount: 1,
    },
    findings: [
      { kind: 'deadlock', severity: 'error', weight: 1000, title: 'Deadlock between threads 813 and 814', description: 'Each waits for a mutex the other holds.', threads: [813, 814], recommendation: 'Take the two mutexes in one order.', confidence: 'certain' },
      { kind: 'sleeping', severity: 'info', weight: 1, title: '1 thread sleeping', description: 'Sleeping in nanosleep.', threads: [812], recommendation: 'Nothing to do.', confidence: 'likely' },
    ],
    topCpuThreads: [{ tid: 813, name: 'worker-a', userMs: 10, kernelMs: 2, totalMs: 12 }],
    cpuNote: null,
    stackGroups: [{ count: 2, tids: [813, 814], summary: '2 threads waiting in libc.so.6!__futex_abstimed_wait_common', frames: [] }],
    threads: [thread(812, 'info', null, 'Sleeping'), thread(813, 'error', 'worker-a', 'Waiting for mutex 0x4040 held by thread 814'), thread(814, 'error', '<b>worker-b</b>', 'Waiting for mutex 0x4080 held by thread 813')],
    locks: [{ kind: 'mutex', address: '0x4040', ownerTid: 814, waiterTids: [813], confidence: 'certain', note: 'glibc __owner.' }],
    waitChains: [{ tids: [813, 814], deadlock: true }],
    dotnet: { detected: false, runtime: null, module: null, version: null, threads: [], canSay: [], cannotSay: [], nextStep: null },
    modules: [{ name: 'parked', path: '/home/***/parked', base: '0x400000', sizeBytes: 8192, identity: 'abcd', version: null, unwindSource: 'core .eh_frame', symbolSource: 'symtab', notes: [] }],
    qualityNotes: ['A mini core: only stacks are present.'],
    redactions: [{ kind: 'option-value', location: 'header.commandLine', key: '--password' }, { kind: 'profile-path', location: 'modules[0].path' }],
  };
}

export function testAnalysisView(reportId = 'r-1'): AnalysisView {
  return { reportId, source: { kind: 'job', jobId: 'dump-1' }, durationMs: 420, report: testReport() };
}

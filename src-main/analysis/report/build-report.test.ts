// The report from a hand-made Windows AnalysisInput (no Windows dump is needed for the rules themselves): two
// threads deadlocked on critical sections whose pointers sit on their stacks, a CS waiter whose structure is not
// in the dump, an idle pool worker, a sleeper, a message box, a socket read, a thread named <script>; coreclr
// loaded. Checks the findings, classifications, the CS owners, the .NET section, and the HTML's escaping.
import { describe, expect, it } from 'vitest';
import type { AnalysisFrame, AnalysisInput, AnalysisThread } from '../dump-analysis-input';
import { buildReport } from './build-report';
import { renderReportHtml } from './render-html';

const frame = (fn: string, module: string, sp: bigint, pc = 0x7ff800001000n): AnalysisFrame => ({
  pc, sp, trust: 'cfi', module, moduleOffset: 0x1000n, function: fn, functionOffset: 0x10n,
});

function thread(tid: number, frames: AnalysisFrame[], name: string | null = null, userMs = 1): AnalysisThread {
  return { tid, name, userMs, kernelMs: 0, stopSignal: null, syscall: null, frames, stopReason: 'end of stack', problems: [] };
}

/** An RTL_CRITICAL_SECTION: LockCount 8, RecursionCount 12, OwningThread 16. */
function criticalSection(owner: number): Buffer {
  const b = Buffer.alloc(40);
  b.writeBigInt64LE(-1n, 0);
  b.writeInt32LE(-6, 8);
  b.writeInt32LE(1, 12);
  b.writeBigUInt64LE(BigInt(owner), 16);
  return b;
}

function stackWith(pointer: bigint): Buffer {
  const b = Buffer.alloc(0x40);
  b.writeBigUInt64LE(0x1234n, 0);
  b.writeBigUInt64LE(pointer, 0x18);
  return b;
}

function csWaiter(tid: number, stackBase: bigint): AnalysisThread {
  return thread(tid, [
    frame('NtWaitForAlertByThreadId', 'ntdll.dll', stackBase),
    frame('RtlpWaitOnCriticalSection', 'ntdll.dll', stackBase + 0x10n),
    frame('RtlEnterCriticalSection', 'ntdll.dll', stackBase + 0x20n),
    frame('app_worker', 'app.exe', stackBase + 0x40n),
  ]);
}

function windowsInput(): AnalysisInput {
  const memory = new Map<bigint, Buffer>([
    [0x10000n, stackWith(0x5000_0000n)], [0x5000_0000n, criticalSection(200)],
    [0x20000n, stackWith(0x5000_0100n)], [0x5000_0100n, criticalSection(100)],
  ]);
  return {
    format: 'minidump',
    dumpKind: 'full',
    os: { family: 'windows', version: '10.0.19045', cpuCount: 8 },
    process: { pid: 4242, ppid: 1, name: 'Tentacle.exe', commandLine: 'C:\\Program Files\\Octopus Deploy\\Tentacle\\Tentacle.exe run --instance Tentacle --apiKey API-ABCDEFGHIJKLMNOPQRSTUVWXYZ', startTimeMs: 1_000_000, dumpTimeMs: 1_060_000, uid: null },
    threads: [
      csWaiter(100, 0x10000n),
      csWaiter(200, 0x20000n),
      csWaiter(300, 0x30000n),
      thread(400, [frame('NtWaitForWorkViaWorkerFactory', 'ntdll.dll', 0x40000n), frame('TppWorkerThread', 'ntdll.dll', 0x40100n)], '.NET TP Worker'),
      thread(500, [frame('NtDelayExecution', 'ntdll.dll', 0x50000n), frame('SleepEx', 'KERNELBASE.dll', 0x50100n)]),
      thread(600, [frame('NtUserWaitMessage', 'win32u.dll', 0x60000n), frame('SoftModalMessageBox', 'user32.dll', 0x60100n), frame('MessageBoxW', 'user32.dll', 0x60200n)]),
      thread(700, [frame('NtDeviceIoControlFile', 'ntdll.dll', 0x70000n), frame('WSPRecv', 'mswsock.dll', 0x70100n), frame('recv', 'ws2_32.dll', 0x70200n)], '<script>alert(1)</script>'),
    ],
    modules: [
      { name: 'ntdll.dll', path: 'C:\\Windows\\System32\\ntdll.dll', base: 0x7ff800000000n, sizeBytes: 0x200000n, identity: 'ABCDEF12200000', version: '10.0.19041.1', unwindSource: 'dump', symbolSource: 'dump', notes: [] },
      { name: 'coreclr.dll', path: 'C:\\Users\\deploy\\.dotnet\\coreclr.dll', base: 0x7ff900000000n, sizeBytes: 0x500000n, identity: null, version: '8.0.1', unwindSource: 'dump', symbolSource: 'dump', notes: [] },
    ],
    readMemory: async (address, length) => {
      for (const [start, b] of memory) {
        if (address >= start && address + BigInt(length) <= start + BigInt(b.length)) return b.subarray(Number(address - start), Number(address - start) + length);
      }
      return null;
    },
    qualityNotes: [],
    close: async () => {},
  };
}

describe('report from a Windows analysis input', () => {
  it('finds the critical-section deadlock and classifies each thread by its exported names', async () => {
    const r = await buildReport(windowsInput(), 'C:\\dumps\\Tentacle.dmp');
    const deadlock = r.findings.filter((f) => f.kind === 'deadlock');
    expect(deadlock).toHaveLength(1);
    expect(deadlock[0]).toMatchObject({ severity: 'error', threads: [100, 200] });
    expect(r.locks.filter((l) => l.ownerTid !== null).map((l) => [l.address, l.ownerTid, l.waiterTids])).toEqual([
      ['0x50000000', 200, [100]], ['0x50000100', 100, [200]],
    ]);
    const undetermined = r.locks.find((l) => l.waiterTids.includes(300))!;
    expect(undetermined.ownerTid).toBeNull();
    expect(undetermined.note).toMatch(/^Owner not determined/);
    const state = (tid: number) => r.threads.find((t) => t.tid === tid)!.classification;
    expect(state(300)).toMatchObject({ state: 'lock-wait', severity: 'warning', waitsForTid: null });
    expect(state(400)).toMatchObject({ state: 'idle-pool', severity: 'info' });
    expect(state(500)).toMatchObject({ state: 'sleeping', severity: 'info' });
    expect(state(600)).toMatchObject({ state: 'message-box', severity: 'error' });
    expect(state(700)).toMatchObject({ state: 'socket-wait', severity: 'warning' });
    expect(r.findings.map((f) => f.kind)).toEqual(expect.arrayContaining(['message-box', 'network-wait', 'idle', 'dotnet', 'lock-contention']));
    expect(r.findings[0]!.kind).toBe('deadlock');
    expect(r.header.uptimeMs).toBe(60_000);
    expect(r.dotnet).toMatchObject({ detected: true, runtime: 'coreclr', version: '8.0.1', threads: [{ tid: 400, name: '.NET TP Worker' }] });
    expect(r.dotnet.nextStep).toMatch(/WinDbg with SOS/);
    expect(r.header.commandLine).toBe('C:\\Program Files\\Octopus Deploy\\Tentacle\\Tentacle.exe run --instance Tentacle --apiKey <redacted>');
    expect(r.modules[1]!.path).toBe('C:\\Users\\<user>\\.dotnet\\coreclr.dll');
    expect(r.redactions.map((x) => x.location)).toEqual(expect.arrayContaining(['header.commandLine', 'modules[1].path']));
  });

  it('renders HTML that escapes every dumped string and needs no script or network', async () => {
    const html = renderReportHtml(await buildReport(windowsInput(), 'Tentacle.dmp'));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<script|src=|https?:\/\//i);
    expect(html).toContain('prefers-color-scheme: dark');
    expect(html.indexOf('<h2>Summary</h2>')).toBeLessThan(html.indexOf('<h2>Threads</h2>'));
    expect(html).toContain('<details id="thread-100" open>');
    expect(html).not.toContain('API-ABCDEFGHIJKLMNOPQRSTUVWXYZ');
  });

  it('says no known problem for a process of idle threads', async () => {
    const input = windowsInput();
    input.threads = input.threads.filter((t) => t.tid === 400 || t.tid === 500);
    const r = await buildReport(input, 'x.dmp');
    expect(r.findings.at(-1)!.kind).toBe('no-known-problem');
    expect(r.findings.every((f) => f.severity === 'info')).toBe(true);
  });
});

describe('names in the report', () => {
  it('demangles C++ and Rust frames once, keeps the raw symbol, and redacts thread names like any string', async () => {
    const input = windowsInput();
    const cxx = (sp: bigint) => ({ ...frame('_ZN4node5StartEiPPc', 'node', sp), functionOffset: 0x2an });
    input.threads = [
      thread(800, [frame('_ZN4core3fmt9Formatter3pad17h0f5bd7a1f6c2bc2fE', 'app', 0x80000n), cxx(0x80100n), frame('main', 'node', 0x80200n)], 'worker token=ghp_0123456789abcdefghijklmnopqrstuvwxyzAB'),
      thread(801, [frame('_ZN4core3fmt9Formatter3pad17h0f5bd7a1f6c2bc2fE', 'app', 0x81000n), cxx(0x81100n), frame('main', 'node', 0x81200n)]),
    ];
    const r = await buildReport(input, 'x.dmp');
    const frames = r.threads[0]!.frames;
    expect(frames.map((f) => [f.function, f.mangled])).toEqual([
      ['core::fmt::Formatter::pad', '_ZN4core3fmt9Formatter3pad17h0f5bd7a1f6c2bc2fE'],
      ['node::Start(int, char**)', '_ZN4node5StartEiPPc'],
      ['main', null],
    ]);
    expect(r.stackGroups[0]!.frames).toEqual(['app!core::fmt::Formatter::pad', 'node!node::Start(int, char**)', 'node!main']);
    expect(r.threads[0]!.name).not.toContain('ghp_0123456789');
    expect(r.threads[0]!.name).toMatch(/^worker /);
    expect(r.redactions.some((x) => x.location === 'threads[0].name')).toBe(true);
    const html = renderReportHtml(r);
    expect(html).toContain('node!node::Start(int, char**)+0x2a');
    expect(html).toContain('title="node+0x1000 · _ZN4node5StartEiPPc"');
  });
});

/*
 * One sentence per thread on what it is doing, DebugDiag-style (ANALYSIS.md §2, §7.5), from raw facts only: on
 * Linux the syscall number and arguments of its PRSTATUS, refined by the glibc functions on its stack; on Windows
 * the exported ntdll/kernel32/user32/ws2_32 names on its stack (inside a syscall stub only non-volatile registers
 * are reliable, so no arguments are read). Idle waits come out as info. Pure: no I/O.
 */
import type { ReportConfidence, ReportSeverity, ThreadClassification, ThreadState } from '../../../src-shared/model/analysis-report';
import type { AnalysisThread } from '../dump-analysis-input';

/** What the lock pass learnt about one thread (futex owner, joined thread, critical section). */
export interface ThreadLockFacts {
  /** Waiting for a lock at this address, owned by ownerTid (null: not determined). */
  lock?: { kind: 'mutex' | 'critical-section'; address: bigint; ownerTid: number | null };
  /** pthread_join's futex: the thread it waits to end. */
  joinsTid?: number;
  inDeadlock?: boolean;
}

export interface ClassifyContext {
  facts: ThreadLockFacts | undefined;
  /** The thread is among the top CPU consumers and used a noticeable share. */
  busiest: boolean;
  tids: ReadonlySet<number>;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const FUTEX_CMD_MASK = 0x7fn;
const FUTEX_WAIT = 0n;
const FUTEX_WAIT_BITSET = 9n;

function result(state: ThreadState, summary: string, severity: ReportSeverity, confidence: ReportConfidence = 'likely', waitsForTid: number | null = null): ThreadClassification {
  return { state, summary, severity, confidence, waitsForTid };
}

/** Function names of the first frames (the innermost ones decide), without versions (`pthread_cond_wait@@GLIBC_2.3.2`). */
function names(t: AnalysisThread, depth = 12): string[] {
  return t.frames.slice(0, depth).map((f) => (f.function ?? '').replace(/@.*$/, ''));
}

const has = (list: readonly string[], re: RegExp): boolean => list.some((n) => re.test(n));

function lockSentence(facts: ThreadLockFacts): ThreadClassification {
  const l = facts.lock!;
  const what = l.kind === 'mutex' ? 'mutex' : 'critical section';
  if (l.ownerTid === null) return result('lock-wait', `Waiting for the ${what} at ${hex(l.address)}; its owner was not determined.`, 'warning');
  if (facts.inDeadlock) return result('lock-wait', `Deadlocked: waiting for the ${what} at ${hex(l.address)} held by thread ${l.ownerTid}, which waits for this one.`, 'error', 'certain', l.ownerTid);
  return result('lock-wait', `Waiting for the ${what} at ${hex(l.address)} held by thread ${l.ownerTid}.`, 'warning', 'certain', l.ownerTid);
}

function classifyLinux(t: AnalysisThread, ctx: ClassifyContext): ThreadClassification {
  const n = names(t);
  const sc = t.syscall!;
  const [a0 = 0n, a1 = 0n, a2 = 0n] = sc.args;
  if (ctx.facts?.lock) return lockSentence(ctx.facts);
  switch (sc.number) {
    case 202: {
      const cmd = a1 & FUTEX_CMD_MASK;
      if (cmd !== FUTEX_WAIT && cmd !== FUTEX_WAIT_BITSET) return result('waiting', `In futex(2), operation ${hex(a1)}.`, 'info');
      if (ctx.facts?.joinsTid !== undefined || has(n, /^(__)?pthread_(clock|timed)?join/)) {
        const joined = ctx.facts?.joinsTid ?? (ctx.tids.has(Number(a2)) ? Number(a2) : null);
        return result('join-wait', joined !== null ? `Waiting for thread ${joined} to end (pthread_join).` : 'Waiting for a thread to end (pthread_join).', 'info', 'likely', joined);
      }
      if (has(n, /pthread_cond_(timed|clock)?wait/)) return result('condvar-wait', `Waiting on a condition variable (futex ${hex(a0)}): idle until signalled.`, 'info');
      if (has(n, /pthread_mutex_(timed|clock)?lock|__lll_lock_wait/)) return result('lock-wait', `Waiting for the mutex near ${hex(a0)}; its owner was not determined.`, 'warning');
      if (has(n, /pthread_rwlock_/)) return result('lock-wait', `Waiting for a read-write lock (futex ${hex(a0)}).`, 'warning');
      if (has(n, /^sem_(timed|clock)?wait/)) return result('waiting', `Waiting on a semaphore (futex ${hex(a0)}).`, 'info');
      if (has(n, /pthread_barrier_wait/)) return result('waiting', 'Waiting at a barrier.', 'info');
      return result('waiting', `Waiting on futex ${hex(a0)} (a lock, condition or event; the stack does not say which).`, 'info', 'possible');
    }
    case 0: case 17: case 19: case 295:
      return a0 === 0n
        ? result('io-wait', 'Reading standard input (file descriptor 0).', 'info')
        : result('io-wait', `Blocked reading file descriptor ${a0} (a pipe, socket, terminal or device; the core does not say which).`, 'warning');
    case 45: case 47: case 299:
      return result('socket-wait', `Waiting to receive on socket ${a0}.`, 'warning');
    case 43: case 288:
      return result('socket-wait', `Waiting for a connection on socket ${a0} (accept).`, 'info');
    case 42:
      return result('socket-wait', `Connecting socket ${a0}.`, 'warning');
    case 7: case 23: case 232: case 270: case 271: case 281: case 441:
      return result('idle-poll', 'Idle in an event loop (poll/select/epoll): waiting for work.', 'info');
    case 35: case 230:
      return result('sleeping', 'Sleeping (nanosleep).', 'info');
    case 34:
      return result('sleeping', 'Waiting for a signal (pause).', 'info');
    case 130:
      return result('sleeping', 'Waiting for a signal (rt_sigsuspend).', 'info');
    case 128:
      return result('sleeping', 'Waiting for a signal (rt_sigtimedwait).', 'info');
    case 219:
      if (has(n, /nanosleep|^sleep$|^usleep$/)) return result('sleeping', 'Sleeping (nanosleep, restarted after a stop).', 'info');
      return result('waiting', 'In a system call restarted after a stop (restart_syscall).', 'info', 'possible');
    case 61: case 247:
      return result('child-wait', 'Waiting for a child process to end (wait4/waitid).', 'info');
    case -1:
      if (ctx.busiest) return result('busy', 'Running on the CPU (not in a system call) and among the busiest threads.', 'warning');
      return result('running', 'Not in a system call: running or runnable.', 'info');
    default:
      return result('waiting', `In system call ${sc.number}.`, 'info', 'possible');
  }
}

/** Windows by the exported names on the stack; the first matching rule wins, innermost function first. */
function classifyWindows(t: AnalysisThread, ctx: ClassifyContext): ThreadClassification {
  const n = names(t, 24);
  const mods = t.frames.slice(0, 24).map((f) => (f.module ?? '').toLowerCase());
  if (ctx.facts?.lock) return lockSentence(ctx.facts);
  if (has(n, /^(KiUserExceptionDispatcher|UnhandledExceptionFilter|RtlReportException|WerpReportFault)$/)) return result('crashed', 'Handling an exception (the exception dispatcher is on its stack).', 'error');
  if (has(n, /^(MiniDumpWriteDump|DbgUiRemoteBreakin|DbgBreakPoint)$/)) return result('dumper', 'The thread a debugger or dump writer injected; ignore it.', 'info');
  if (has(n, /^MessageBox(Timeout|Indirect)?[AW]?$|^SoftModalMessageBox$/)) return result('message-box', 'Showing a message box: waits for a click that may never come (a service has no desktop).', 'error');
  if (has(n, /^(RtlEnterCriticalSection|RtlpEnterCriticalSectionContended|RtlpWaitOnCriticalSection|EnterCriticalSection)$/)) {
    return result('lock-wait', 'Waiting to enter a critical section; its owner was not determined (the dump did not show which critical section).', 'warning');
  }
  if (has(n, /^(RtlAcquireSRWLock(Exclusive|Shared)|AcquireSRWLock(Exclusive|Shared))$/)) return result('lock-wait', 'Waiting for a slim reader/writer lock (SRW locks record no owner).', 'warning');
  if (has(n, /^(LdrLoadDll|LoadLibrary(Ex)?[AW]|LdrpLoadDll)$/)) return result('loading-library', 'Loading a library (holds or waits for the loader lock).', 'warning');
  if (has(n, /^(recv|recvfrom|WSARecv|WSARecvFrom|select|WSAPoll|accept|WSAAccept|connect|WSAConnect)$/) || mods.some((m) => m === 'mswsock.dll')) {
    return result('socket-wait', 'In a socket call (ws2_32): waiting on the network.', 'warning');
  }
  if (has(n, /^(WinHttp|InternetReadFile|HttpSendRequest)/)) return result('socket-wait', 'Waiting on an HTTP request (WinHTTP/WinINet).', 'warning');
  if (has(n, /^(NtWaitForWorkViaWorkerFactory|ZwWaitForWorkViaWorkerFactory|TppWorkerThread)$/) && has(n.slice(0, 3), /WorkerFactory/)) return result('idle-pool', 'Idle thread-pool worker waiting for work.', 'info');
  if (has(n.slice(0, 3), /^(Nt|Zw)RemoveIoCompletion(Ex)?$/)) return result('idle-pool', 'Idle I/O completion port worker waiting for work.', 'info');
  if (has(n, /^(NtUserGetMessage|NtUserWaitMessage|GetMessage[AW]|NtUserMsgWaitForMultipleObjectsEx)$/)) return result('ui-loop', 'In a window message loop, waiting for messages.', 'info');
  if (has(n.slice(0, 3), /^(Nt|Zw)DelayExecution$/)) return result('sleeping', 'Sleeping (Sleep/SleepEx).', 'info');
  if (has(n, /^(SleepConditionVariable(CS|SRW)|RtlSleepConditionVariable(CS|SRW))$/)) return result('condvar-wait', 'Waiting on a condition variable.', 'info');
  if (has(n.slice(0, 3), /^(Nt|Zw)(ReadFile|DeviceIoControlFile)$/)) return result('io-wait', 'Blocked in file or device I/O (NtReadFile/NtDeviceIoControlFile).', 'warning');
  if (has(n.slice(0, 3), /^(Nt|Zw)WaitFor(Single|Multiple)Object(s)?(32)?$|^(Nt|Zw)WaitForAlertByThreadId$|^(Nt|Zw)SignalAndWaitForSingleObject$/)) {
    return result('waiting', 'Waiting on a kernel object (NtWaitForSingleObject/Multiple); the handle is not known without the registers.', 'info');
  }
  if (t.frames.length > 0 && !has(n.slice(0, 1), /^(Nt|Zw)/) && ctx.busiest) return result('busy', 'Running on the CPU (not in a system call stub) and among the busiest threads.', 'warning');
  if (t.frames.length === 0 || n.every((x) => x === '')) return result('unknown', 'Not classified: no function on its stack is named.', 'info', 'possible');
  return result('running', 'Not in a known wait.', 'info', 'possible');
}

export function classifyThread(t: AnalysisThread, family: 'linux' | 'windows', ctx: ClassifyContext): ThreadClassification {
  if (t.stopSignal) {
    const at = t.stopSignal.faultAddress !== null ? ` at address ${hex(t.stopSignal.faultAddress)}` : '';
    return result('crashed', `Stopped by ${t.stopSignal.name}${at}: this thread crashed.`, 'error', 'certain');
  }
  const c = family === 'linux' && t.syscall ? classifyLinux(t, ctx) : classifyWindows(t, ctx);
  // Names from scanned frames may be wrong: a verdict resting on them is only possible.
  if (c.confidence === 'likely' && t.frames.slice(1, 12).some((f) => f.trust === 'scan') && family === 'windows') return { ...c, confidence: 'possible' };
  return c;
}

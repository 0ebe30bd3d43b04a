/*
 * The Windows capture engine (issue 12): a job object with a completion port on the watched process sees every
 * later descendant, and our own debug object holds each one from birth (CAPTURE.md §2, §3, §7). start() checks the
 * rule and the target's identity, lists the existing descendants, starts the capture worker (the one thread that
 * owns the port and the debug object) and resolves once it is armed; Win32CaptureSession does the rest, and
 * Win32CaptureMonitor samples for the CPU, memory and series triggers when the rule has them. Runs in
 * the main process, the CLI or the elevated helper; never kills a watched process.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { CaptureEvent, CaptureRule } from '../../../src-shared/model/capture';
import { DumpError, type DumpWriter } from '../../dump/dump-writer';
import { createWin32MinidumpWriter } from '../../dump/win32/win32-minidump-writer';
import { enableDebugPrivilege } from '../../platform/win32/ffi/advapi32';
import { currentProcess } from '../../platform/win32/ffi/kernel32';
import { querySystemProcessInformation } from '../../platform/win32/ffi/ntdll';
import { parseSystemProcessInformation } from '../../platform/win32/ffi/system-process-parse';
import type { CaptureEngine, CaptureWatch } from '../capture-engine';
import { compileCaptureRule } from '../capture-rule';
import { descendantPids, inScope } from './capture-match';
import { CAPTURE_WORKER_SOURCE } from './capture-worker-source';
import { encodeBreakawayLimit } from './debug-event';
import { Win32CaptureMonitor, type UsageReader } from './win32-capture-monitor';
import { Win32CaptureSession, type WorkerMessage } from './win32-capture-session';
import { isMemoryReadable, readExitCode, readHeldProcessFacts, readStartTimeMs } from './win32-process-facts';

export interface Win32CaptureOptions {
  writer?: DumpWriter;
  /** How long the worker retries NtDebugActiveProcess on a starting process (Wine: 10–45 tries of 1 ms). */
  attachRetryMs?: number;
  /** Port and debug waits when idle: the worst added latency between two looks at either. */
  idleWaitMs?: number;
  reconcileMs?: number;
  /**
   * For the Wine test of the reconcile pass only: the worker drops every NEW_PROCESS message, so each child can be
   * found by the once-a-second BasicProcessIdList comparison alone. Never set in production.
   */
  dropNewProcessMessagesForTest?: boolean;
  /** The sampled triggers' reader of every process's CPU time and commit (default: one SystemProcessInformation snapshot). */
  readUsage?: UsageReader;
  monitorIntervalMs?: number;
  /** Sees every worker message before the session does (tests count late finds and attach tries with it). */
  onWorkerMessage?: (message: WorkerMessage) => void;
}

/** Limits a person should know about, named in the armed event. */
const WIN32_LIMITS = [
  'children started with CREATE_BREAKAWAY_FROM_JOB leave the job and are not seen',
  'a process that already has a debugger cannot be held',
];

function resolveKoffiPath(): string {
  const from = typeof __filename === 'string' ? __filename : join(process.cwd(), 'procscope.js');
  return createRequire(from).resolve('koffi');
}

function checkTarget(rule: CaptureRule): void {
  const { pid, startTimeMs } = rule.target;
  // Our own process cannot be its own debugger, and the job would take this process and its children with it.
  if (pid === process.pid) throw new DumpError('bad-request', `Process ${pid} is Procscope itself: it cannot watch its own process.`);
  const r = readStartTimeMs(pid);
  if (r.error === 'gone') throw new DumpError('process-gone', `Process ${pid} has exited; there is nothing to watch.`);
  if (r.error === 'denied') throw new DumpError('needs-elevation', `Windows denied access to process ${pid}: watch it again as administrator.`);
  if (r.startTimeMs !== startTimeMs) throw new DumpError('pid-recycled', `Process ${pid} is no longer the one you selected: its id was reused.`);
}

export function createWin32CaptureEngine(options: Win32CaptureOptions = {}): CaptureEngine {
  let privilegeTried = false;
  return {
    async start(rule: CaptureRule, onEvent: (event: CaptureEvent) => void): Promise<CaptureWatch> {
      const compiled = compileCaptureRule(rule);
      if (!privilegeTried) {
        privilegeTried = true;
        enableDebugPrivilege(currentProcess());
      }
      checkTarget(rule);
      const snapshot = querySystemProcessInformation();
      const existingPids = descendantPids(parseSystemProcessInformation(snapshot.bytes, snapshot.baseAddress), rule.target.pid);
      const channel = new MessageChannel();
      const worker = new Worker(CAPTURE_WORKER_SOURCE, {
        eval: true,
        workerData: {
          koffiPath: resolveKoffiPath(),
          targetPid: rule.target.pid,
          existingPids,
          attachTarget: inScope(rule.scope, true),
          attachDescendants: inScope(rule.scope, false),
          limitInfo: encodeBreakawayLimit(),
          // Wine answers STATUS_ACCESS_DENIED while a child is "still starting up": 10-44 ms here when quiet, but a
          // fresh-clone CI run on a fresh prefix saw a node.exe child still refused after 250 ms (an AV child missed).
          attachRetryMs: options.attachRetryMs ?? 2000,
          idleWaitMs: options.idleWaitMs ?? 2,
          reconcileMs: options.reconcileMs ?? 1000,
          dropNewProcessMessages: options.dropNewProcessMessagesForTest === true,
          commandPort: channel.port2,
        },
        transferList: [channel.port2],
      });
      let monitor: Win32CaptureMonitor | null = null;
      // A process seen as matching is sampled at once (after the session has handled its event): a series' first dump.
      const emit = (e: CaptureEvent): void => {
        onEvent(e);
        if (e.event === 'seen' && monitor) setImmediate(() => monitor?.sampleNew(e.pid));
      };
      const session = new Win32CaptureSession(compiled, emit, {
        writer: options.writer ?? createWin32MinidumpWriter(),
        readFacts: readHeldProcessFacts,
        isMemoryReadable,
        readExitCode,
        send: (command) => channel.port1.postMessage(command),
        now: Date.now,
      });
      let timeout: NodeJS.Timeout | null = null;
      const armed = new Promise<void>((resolve, reject) => {
        let isArmed = false;
        worker.on('message', (m: WorkerMessage) => {
          options.onWorkerMessage?.(m);
          if (isArmed) {
            session.handle(m);
            return;
          }
          if (m.t === 'armed') {
            isArmed = true;
            session.onArmed(m.existing);
            onEvent({ event: 'armed', atMs: Date.now(), pid: rule.target.pid, mechanism: 'win32-job-debugger', limits: [...WIN32_LIMITS, ...m.limits] });
            resolve();
          } else if (m.t === 'fatal') {
            reject(m.status === 0xc0000048 || m.status === 0xc0000022
              ? new DumpError('already-traced', `Process ${rule.target.pid} already has a debugger, so it cannot be watched: ${m.message}.`)
              : new DumpError(m.assign ? 'unsupported' : 'io-error', `The watch on process ${rule.target.pid} could not be armed: ${m.message}.`));
          }
        });
        worker.on('error', (err) => (isArmed ? session.handle({ t: 'fatal', message: err.message, assign: false }) : reject(new DumpError('io-error', `The capture worker failed to start: ${err.message}.`))));
        worker.on('exit', () => (isArmed ? session.handle({ t: 'stopped' }) : reject(new DumpError('io-error', 'The capture worker ended before the watch was armed.'))));
      });
      try {
        await armed;
      } catch (err) {
        channel.port1.close();
        await worker.terminate();
        throw err;
      }
      if (rule.timeoutMs !== null) timeout = setTimeout(() => void session.finish('timeout'), rule.timeoutMs);
      // The sampled triggers (ProcDump -c, -m, -n/-s): once a second, from now until the watch ends.
      monitor = rule.monitor ? new Win32CaptureMonitor(rule.monitor, session, options.readUsage) : null;
      monitor?.start(options.monitorIntervalMs);
      void session.finished.then(() => {
        monitor?.stop();
        if (timeout) clearTimeout(timeout);
        channel.port1.close();
      });
      return {
        finished: session.finished,
        async stop() {
          await session.finish('stopped');
        },
      };
    },
  };
}

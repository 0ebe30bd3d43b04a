/*
 * The Windows capture worker: one worker_thread per watch that owns the job object, its completion port and our
 * debug object, and makes only synchronous koffi calls (CAPTURE.md §3, §6: the port loop and the debug loop stay on
 * one OS thread; koffi's `.async` would scatter them over a pool). It holds each new process at birth (open →
 * NtSuspendProcess → NtDebugActiveProcess, retried → NtResumeProcess), continues every debug event that is not the
 * engine's business at once, and hands the rest (CREATE_PROCESS, EXCEPTION, EXIT_PROCESS) to the main thread as raw
 * DEBUG_EVENT bytes, continuing them only when told. It never kills anything: the debug object is made without
 * DEBUG_KILL_ON_CLOSE, the job without KILL_ON_JOB_CLOSE, and on stop or error every process is detached.
 *
 * Inline source (no extra bundle entry, as sha256-worker.ts): koffi is required by the path the main thread resolved.
 * Declarations (x64, `__stdcall` ignored on x64): kernel32 — CreateJobObjectW, SetInformationJobObject,
 * AssignProcessToJobObject, QueryInformationJobObject (jobapi2.h, Windows XP+), CreateIoCompletionPort,
 * GetQueuedCompletionStatus (ioapiset.h, XP+), OpenProcess, CloseHandle, GetLastError; ntdll (undocumented NT API,
 * as in ReactOS ndk/dbgkfuncs.h and phnt ntdbg.h, present since Windows XP and in Wine 8) — NtCreateDebugObject,
 * NtDebugActiveProcess, NtRemoveProcessDebug, NtWaitForDebugEvent, NtDebugContinue, DbgUiConvertStateChangeStructure,
 * NtSuspendProcess, NtResumeProcess; winmm — timeBeginPeriod, timeEndPeriod.
 */

export const CAPTURE_WORKER_SOURCE = String.raw`
const { workerData, parentPort, receiveMessageOnPort } = require('node:worker_threads');
const koffi = require(workerData.koffiPath);
const k32 = koffi.load('kernel32.dll');
const nt = koffi.load('ntdll.dll');
const f = (lib, sig) => lib.func(sig);
const CreateJobObjectW = f(k32, 'void *CreateJobObjectW(void *sa, void *name)');
const SetInformationJobObject = f(k32, 'bool SetInformationJobObject(void *job, int cls, void *info, uint32_t len)');
const AssignProcessToJobObject = f(k32, 'bool AssignProcessToJobObject(void *job, void *proc)');
const QueryInformationJobObject = f(k32, 'bool QueryInformationJobObject(void *job, int cls, _Out_ void *info, uint32_t len, void *retLen)');
const CreateIoCompletionPort = f(k32, 'void *CreateIoCompletionPort(intptr_t file, void *existing, uintptr_t key, uint32_t threads)');
const GetQueuedCompletionStatus = f(k32, 'bool GetQueuedCompletionStatus(void *port, _Out_ uint32_t *bytes, _Out_ uint64_t *key, _Out_ uint64_t *ov, uint32_t ms)');
const OpenProcess = f(k32, 'void *OpenProcess(uint32_t access, bool inherit, uint32_t pid)');
const CloseHandle = f(k32, 'bool CloseHandle(void *h)');
const CloseHandleValue = f(k32, 'bool CloseHandle(uint64_t h)');
const GetLastError = f(k32, 'uint32_t GetLastError()');
const NtCreateDebugObject = f(nt, 'int32_t NtCreateDebugObject(_Out_ void **h, uint32_t access, void *attrs, uint32_t flags)');
const NtDebugActiveProcess = f(nt, 'int32_t NtDebugActiveProcess(void *proc, void *dbg)');
const NtRemoveProcessDebug = f(nt, 'int32_t NtRemoveProcessDebug(void *proc, void *dbg)');
const NtWaitForDebugEvent = f(nt, 'int32_t NtWaitForDebugEvent(void *dbg, bool alertable, void *timeout, _Out_ void *state)');
const NtDebugContinue = f(nt, 'int32_t NtDebugContinue(void *dbg, void *cid, int32_t status)');
const DbgUiConvertStateChangeStructure = f(nt, 'int32_t DbgUiConvertStateChangeStructure(void *state, _Out_ void *event)');
const NtSuspendProcess = f(nt, 'int32_t NtSuspendProcess(void *proc)');
const NtResumeProcess = f(nt, 'int32_t NtResumeProcess(void *proc)');
// timeBeginPeriod / timeEndPeriod (timeapi.h, winmm.dll, Windows 2000+): Windows rounds the loop's 2 ms waits up to
// its 15.6 ms tick otherwise, which is time a new child would run unheld.
const winmm = koffi.load('winmm.dll');
const timeBeginPeriod = f(winmm, 'uint32_t timeBeginPeriod(uint32_t ms)');
const timeEndPeriod = f(winmm, 'uint32_t timeEndPeriod(uint32_t ms)');
let periodSet = false;

const d = workerData;
const commands = d.commandPort;
const PROCESS_ALL_ACCESS = 0x1fffff;
const DEBUG_ALL_ACCESS = 0x1f000f;
const STATUS_TIMEOUT = 0x102;
const DBG_CONTINUE = 0x00010002;
const NEW_PROCESS = 6, EXIT_PROCESS = 7, ACTIVE_PROCESS_ZERO = 4;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms) => Atomics.wait(sleeper, 0, 0, ms);
const now = () => Number(process.hrtime.bigint() / 1000000n);
const post = (m) => parentPort.postMessage(m);
const handleOffsets = { 3: [16, 24, 32], 2: [16], 6: [16] };
const decided = new Set([1, 3, 5]);

let job = null, port = null, dbg = null;
/** pid -> { h, attached }: a handle per known process pins its pid until it has exited. */
const known = new Map();
let stopping = false;

function attach(pid, h, atBirth) {
  const t0 = now();
  let tries = 0, st = -1;
  const suspended = atBirth ? NtSuspendProcess(h) >>> 0 : null;
  // Wine answers STATUS_ACCESS_DENIED while a process is still starting up: retry every 1 ms (CAPTURE.md §3).
  while (tries < 1000) {
    st = NtDebugActiveProcess(h, dbg) >>> 0;
    tries++;
    if (st === 0 || now() - t0 > d.attachRetryMs) break;
    sleep(1);
  }
  if (atBirth) NtResumeProcess(h);
  return { attached: st === 0, status: st, tries, ms: now() - t0, suspended };
}

function track(pid, atBirth, late) {
  if (known.has(pid)) return;
  const h = OpenProcess(PROCESS_ALL_ACCESS, false, pid);
  if (!h) {
    known.set(pid, { h: null, attached: false });
    post({ t: 'new', pid, atBirth, late, attached: false, error: 'OpenProcess failed with Windows error ' + GetLastError() });
    return;
  }
  const entry = { h, attached: false };
  known.set(pid, entry);
  const r = d.attachDescendants ? attach(pid, h, atBirth) : { attached: false, status: 0, tries: 0, ms: 0, suspended: null };
  entry.attached = r.attached;
  post({ t: 'new', pid, atBirth, late, attached: r.attached, tries: r.tries, ms: r.ms, suspendStatus: r.suspended,
    error: d.attachDescendants && !r.attached ? 'NtDebugActiveProcess failed with NTSTATUS 0x' + r.status.toString(16) : null });
}

function forget(pid) {
  const e = known.get(pid);
  if (!e) return;
  known.delete(pid);
  if (e.h) CloseHandle(e.h);
}

function continueEvent(pid, tid, status) {
  const cid = Buffer.alloc(16);
  cid.writeBigUInt64LE(BigInt(pid), 0);
  cid.writeBigUInt64LE(BigInt(tid), 8);
  return NtDebugContinue(dbg, cid, status | 0) >>> 0;
}

function detach(pid) {
  const e = known.get(pid);
  if (!e || !e.attached || !e.h) return;
  e.attached = false;
  NtRemoveProcessDebug(e.h, dbg);
}

function drainCommands() {
  for (let m = receiveMessageOnPort(commands); m; m = receiveMessageOnPort(commands)) {
    const c = m.message;
    if (c.c === 'continue') {
      const st = continueEvent(c.pid, c.tid, c.status);
      if (c.thenDetach) detach(c.pid);
      if (c.exited) forget(c.pid);
      if (st !== 0) post({ t: 'warn', pid: c.pid, message: 'NtDebugContinue failed with NTSTATUS 0x' + st.toString(16) });
    } else if (c.c === 'detach') {
      detach(c.pid);
    } else if (c.c === 'stop') {
      stopping = true;
    }
  }
}

function pumpPort(ms) {
  const bytes = [0], key = [0], ov = [0];
  if (!GetQueuedCompletionStatus(port, bytes, key, ov, ms)) return false;
  const msg = bytes[0], pid = Number(ov[0]);
  if (msg === NEW_PROCESS) { if (!d.dropNewProcessMessages) track(pid, true, false); }
  else if (msg === EXIT_PROCESS || msg === 8) {
    const e = known.get(pid);
    post({ t: 'job-exit', pid });
    // An attached process is forgotten when its EXIT_PROCESS_DEBUG_EVENT is continued (the engine says so).
    if (e && !e.attached) forget(pid);
  } else if (msg === ACTIVE_PROCESS_ZERO) post({ t: 'zero' });
  return true;
}

const state = Buffer.alloc(1024);
const event = Buffer.alloc(176);
function pumpDebug(ms) {
  const timeout = Buffer.alloc(8);
  timeout.writeBigInt64LE(-BigInt(ms) * 10000n, 0);
  const st = NtWaitForDebugEvent(dbg, false, timeout, state) >>> 0;
  if (st !== 0) return false;
  event.fill(0);
  const cst = DbgUiConvertStateChangeStructure(state, event) >>> 0;
  if (cst !== 0) {
    post({ t: 'warn', pid: null, message: 'DbgUiConvertStateChangeStructure failed with NTSTATUS 0x' + cst.toString(16) });
    return true;
  }
  const code = event.readUInt32LE(0), pid = event.readUInt32LE(4), tid = event.readUInt32LE(8);
  const copy = Buffer.from(event);
  for (const off of handleOffsets[code] || []) {
    const v = event.readBigUInt64LE(off);
    if (v !== 0n) CloseHandleValue(v);
  }
  if (decided.has(code)) post({ t: 'event', bytes: copy });
  else continueEvent(pid, tid, DBG_CONTINUE);
  return true;
}

let lastReconcile = 0;
function reconcile() {
  const buf = Buffer.alloc(8 + 8 * 4096);
  if (!QueryInformationJobObject(job, 3, buf, buf.length, null)) return;
  const n = Math.min(buf.readUInt32LE(4), 4096);
  const missed = [];
  for (let i = 0; i < n; i++) {
    const pid = Number(buf.readBigUInt64LE(8 + i * 8));
    if (!known.has(pid)) { missed.push(pid); track(pid, false, true); }
  }
  post({ t: 'reconcile', listed: n, missed });
}

function setUp() {
  periodSet = timeBeginPeriod(1) === 0;
  const out = [null];
  const attrs = Buffer.alloc(48);
  attrs.writeUInt32LE(48, 0);
  const st = NtCreateDebugObject(out, DEBUG_ALL_ACCESS, attrs, 0) >>> 0;
  if (st !== 0 || !out[0]) throw new Error('NtCreateDebugObject failed with NTSTATUS 0x' + st.toString(16));
  dbg = out[0];
  job = CreateJobObjectW(null, null);
  if (!job) throw new Error('CreateJobObjectW failed with Windows error ' + GetLastError());
  const limits = Buffer.from(d.limitInfo);
  if (!SetInformationJobObject(job, 9, limits, limits.length)) throw new Error('SetInformationJobObject(BREAKAWAY_OK) failed with Windows error ' + GetLastError());
  port = CreateIoCompletionPort(-1, null, 0, 1);
  if (!port) throw new Error('CreateIoCompletionPort failed with Windows error ' + GetLastError());
  const assoc = Buffer.alloc(16);
  assoc.writeBigUInt64LE(1n, 0);
  assoc.writeBigUInt64LE(koffi.address(port), 8);
  // Associated before anything is assigned, so no NEW_PROCESS message can be lost (CAPTURE.md §2).
  if (!SetInformationJobObject(job, 7, assoc, 16)) throw new Error('SetInformationJobObject(AssociateCompletionPort) failed with Windows error ' + GetLastError());

  const target = OpenProcess(PROCESS_ALL_ACCESS, false, d.targetPid);
  if (!target) throw new Error('OpenProcess(' + d.targetPid + ') failed with Windows error ' + GetLastError());
  known.set(d.targetPid, { h: target, attached: false });
  for (const pid of d.existingPids) known.set(pid, { h: OpenProcess(PROCESS_ALL_ACCESS, false, pid), attached: false });
  const limits2 = [];
  if (!AssignProcessToJobObject(job, target)) {
    throw Object.assign(new Error('AssignProcessToJobObject failed with Windows error ' + GetLastError()), { assign: true });
  }
  for (const pid of d.existingPids) {
    const e = known.get(pid);
    if (!e.h || !AssignProcessToJobObject(job, e.h)) limits2.push('existing descendant ' + pid + ' could not be assigned to the job (Windows error ' + GetLastError() + '): its children are not seen');
  }
  if (d.attachTarget) {
    const r = attach(d.targetPid, target, false);
    if (!r.attached) throw Object.assign(new Error('NtDebugActiveProcess on the watched process failed with NTSTATUS 0x' + r.status.toString(16)), { status: r.status });
    known.get(d.targetPid).attached = true;
  }
  const existing = [];
  for (const pid of d.existingPids) {
    const e = known.get(pid);
    if (d.attachDescendants && e.h) {
      const r = attach(pid, e.h, false);
      e.attached = r.attached;
      if (!r.attached) limits2.push('existing descendant ' + pid + ' could not be attached (NTSTATUS 0x' + r.status.toString(16) + ')');
    }
    existing.push({ pid, attached: e.attached });
  }
  post({ t: 'armed', limits: limits2, existing });
}

function tearDown() {
  for (const [pid, e] of known) {
    if (e.attached && e.h && dbg) NtRemoveProcessDebug(e.h, dbg);
    if (e.h) CloseHandle(e.h);
    known.delete(pid);
  }
  // No DEBUG_KILL_ON_CLOSE and no KILL_ON_JOB_CLOSE: closing these ends nothing but our watch.
  if (dbg) CloseHandle(dbg);
  if (port) CloseHandle(port);
  if (job) CloseHandle(job);
  dbg = port = job = null;
  if (periodSet) timeEndPeriod(1);
  periodSet = false;
}

try {
  setUp();
  while (!stopping) {
    drainCommands();
    if (stopping) break;
    let busy = pumpPort(d.idleWaitMs);
    while (pumpPort(0)) busy = true;
    for (let i = 0; i < 64 && pumpDebug(i === 0 && !busy ? d.idleWaitMs : 0); i++) busy = true;
    if (now() - lastReconcile >= d.reconcileMs) {
      lastReconcile = now();
      reconcile();
    }
  }
  tearDown();
  post({ t: 'stopped' });
} catch (err) {
  try { tearDown(); } catch (e) { /* already reporting the first failure */ }
  post({ t: 'fatal', message: err && err.message ? err.message : String(err), assign: !!(err && err.assign), status: err && err.status });
}
`;

/*
 * The byte layouts the process-detail readers decode (x64; winternl.h, iphlpapi's tcpmib.h / udpmib.h, winsvc.h,
 * and the NT layouts NATIVE.md lists), decoded here without koffi so they are unit-tested on any OS: one process's
 * entry and threads in SystemProcessInformation, SystemExtendedHandleInformation, OBJECT_TYPE_INFORMATION, the
 * owner-pid TCP/UDP tables, ENUM_SERVICE_STATUS_PROCESSW and an environment block. A pointer is followed only when
 * it points inside the same buffer (the caller passes the address the buffer sits at); nothing here touches memory.
 */
const PROCESS_ENTRY = 0x100;
const THREAD_ENTRY = 0x50;

export interface SystemThreadRecord {
  tid: number;
  /** FILETIME; the thread's identity beside its tid. */
  createTime100ns: bigint;
  cpuTimeMs: number;
  /** 0x-hex; Wine leaves it 0. */
  startAddress: bigint;
  priority: number;
  basePriority: number;
  contextSwitches: number;
  /** KTHREAD_STATE and KWAIT_REASON as numbers (Wine leaves both 0). */
  state: number;
  waitReason: number;
}

export interface SystemProcessDetailRecord {
  pid: number;
  createTime100ns: bigint;
  cpuTimeMs: number;
  handleCount: number;
  threadCount: number;
  workingSetBytes: number;
  privateBytes: number;
  pagefileUsageBytes: number;
  /** IO_COUNTERS @0xD0: read, write, other operation counts, then the three transfer counts. */
  ioReadOps: number;
  ioWriteOps: number;
  ioReadBytes: number;
  ioWriteBytes: number;
  threads: SystemThreadRecord[];
}

/** The entry of `pid` in a SystemProcessInformation block (with its threads), or null when the pid is not in it. */
export function findSystemProcessDetail(bytes: Buffer, pid: number): SystemProcessDetailRecord | null {
  let offset = 0;
  for (let guard = 0; guard < 1_000_000; guard++) {
    if (offset + PROCESS_ENTRY > bytes.length) throw new Error('SystemProcessInformation entry runs past the buffer.');
    const next = bytes.readUInt32LE(offset);
    const threadCount = bytes.readUInt32LE(offset + 0x04);
    const u64 = (at: number): number => Number(bytes.readBigUInt64LE(offset + at));
    if (u64(0x50) === pid) {
      if (offset + PROCESS_ENTRY + threadCount * THREAD_ENTRY > bytes.length) throw new Error('SystemProcessInformation threads run past the buffer.');
      const threads: SystemThreadRecord[] = [];
      for (let i = 0; i < threadCount; i++) {
        const t = offset + PROCESS_ENTRY + i * THREAD_ENTRY;
        threads.push({
          tid: Number(bytes.readBigUInt64LE(t + 0x30)),
          createTime100ns: bytes.readBigUInt64LE(t + 0x10),
          cpuTimeMs: Number((bytes.readBigUInt64LE(t) + bytes.readBigUInt64LE(t + 0x08)) / 10_000n),
          startAddress: bytes.readBigUInt64LE(t + 0x20),
          priority: bytes.readInt32LE(t + 0x38),
          basePriority: bytes.readInt32LE(t + 0x3c),
          contextSwitches: bytes.readUInt32LE(t + 0x40),
          state: bytes.readUInt32LE(t + 0x44),
          waitReason: bytes.readUInt32LE(t + 0x48),
        });
      }
      return {
        pid,
        createTime100ns: bytes.readBigUInt64LE(offset + 0x20),
        cpuTimeMs: Number((bytes.readBigUInt64LE(offset + 0x28) + bytes.readBigUInt64LE(offset + 0x30)) / 10_000n),
        handleCount: bytes.readUInt32LE(offset + 0x60),
        threadCount,
        workingSetBytes: u64(0x90),
        privateBytes: u64(0xc8),
        pagefileUsageBytes: u64(0xb8),
        ioReadOps: u64(0xd0),
        ioWriteOps: u64(0xd8),
        ioReadBytes: u64(0xe8),
        ioWriteBytes: u64(0xf0),
        threads,
      };
    }
    if (next === 0) return null;
    if (next < PROCESS_ENTRY + threadCount * THREAD_ENTRY) throw new Error('SystemProcessInformation NextEntryOffset is too small.');
    offset += next;
  }
  throw new Error('SystemProcessInformation has no end.');
}

/** KTHREAD_STATE (ntkeapi.h) as Process Explorer words it. */
const THREAD_STATES = ['Initialized', 'Ready', 'Running', 'Standby', 'Terminated', 'Wait', 'Transition', 'DeferredReady', 'GateWait', 'WaitingForProcessInSwap'];
/** KWAIT_REASON (ntkeapi.h). */
const WAIT_REASONS = [
  'Executive', 'FreePage', 'PageIn', 'PoolAllocation', 'DelayExecution', 'Suspended', 'UserRequest', 'WrExecutive', 'WrFreePage',
  'WrPageIn', 'WrPoolAllocation', 'WrDelayExecution', 'WrSuspended', 'WrUserRequest', 'WrEventPair', 'WrQueue', 'WrLpcReceive',
  'WrLpcReply', 'WrVirtualMemory', 'WrPageOut', 'WrRendezvous', 'WrKeyedEvent', 'WrTerminated', 'WrProcessInSwap',
  'WrCpuRateControl', 'WrCalloutStack', 'WrKernel', 'WrResource', 'WrPushLock', 'WrMutex', 'WrQuantumEnd', 'WrDispatchInt',
  'WrPreempted', 'WrYieldExecution', 'WrFastMutex', 'WrGuardedMutex', 'WrRundown', 'WrAlertByThreadId', 'WrDeferredPreempt',
  'WrPhysicalFault', 'WrIoRing', 'WrMdlCache',
];

export function threadStateName(state: number): string {
  return THREAD_STATES[state] ?? `State ${state}`;
}

export function waitReasonName(reason: number): string {
  return WAIT_REASONS[reason] ?? `Reason ${reason}`;
}

export interface SystemHandleRecord {
  pid: number;
  handle: bigint;
  grantedAccess: number;
  objectTypeIndex: number;
  attributes: number;
  /** The kernel object's address (the same object held twice has the same value; 0 without SeDebugPrivilege on 11 24H2+). */
  object: bigint;
}

/** SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX: Object @0, UniqueProcessId @8, HandleValue @16, GrantedAccess u32 @24,
 * CreatorBackTraceIndex u16 @28, ObjectTypeIndex u16 @30, HandleAttributes u32 @32, Reserved @36; 40 bytes. */
const HANDLE_ENTRY = 40;

/**
 * SYSTEM_HANDLE_INFORMATION_EX (SystemExtendedHandleInformation = 64): NumberOfHandles ULONG_PTR @0, Reserved @8,
 * entries from @16. Only the entries of `pid` (every entry when pid is null).
 */
export function parseExtendedHandles(bytes: Buffer, pid: number | null): SystemHandleRecord[] {
  if (bytes.length < 16) throw new Error('SystemExtendedHandleInformation is shorter than its header.');
  const count = Number(bytes.readBigUInt64LE(0));
  if (16 + count * HANDLE_ENTRY > bytes.length) throw new Error(`SystemExtendedHandleInformation claims ${count} handles, more than its buffer holds.`);
  const out: SystemHandleRecord[] = [];
  for (let i = 0; i < count; i++) {
    const at = 16 + i * HANDLE_ENTRY;
    const owner = Number(bytes.readBigUInt64LE(at + 8));
    if (pid !== null && owner !== pid) continue;
    out.push({
      pid: owner,
      object: bytes.readBigUInt64LE(at),
      handle: bytes.readBigUInt64LE(at + 16),
      grantedAccess: bytes.readUInt32LE(at + 24),
      objectTypeIndex: bytes.readUInt16LE(at + 30),
      attributes: bytes.readUInt32LE(at + 32),
    });
  }
  return out;
}

/**
 * SYSTEM_HANDLE_INFORMATION (legacy class 16): NumberOfHandles u32 @0, entries of 24 bytes from @8: UniqueProcessId
 * u16 @0, CreatorBackTraceIndex u16 @2, ObjectTypeIndex u8 @4, HandleAttributes u8 @5, HandleValue u16 @6, Object @8,
 * GrantedAccess u32 @16. Its pids and handle values are cut to 16 bits, so it is only the fallback.
 */
export function parseLegacyHandles(bytes: Buffer, pid: number | null): SystemHandleRecord[] {
  const count = bytes.readUInt32LE(0);
  if (8 + count * 24 > bytes.length) throw new Error(`SystemHandleInformation claims ${count} handles, more than its buffer holds.`);
  const out: SystemHandleRecord[] = [];
  for (let i = 0; i < count; i++) {
    const at = 8 + i * 24;
    const owner = bytes.readUInt16LE(at);
    if (pid !== null && owner !== (pid & 0xffff)) continue;
    out.push({ pid: owner, objectTypeIndex: bytes.readUInt8(at + 4), attributes: bytes.readUInt8(at + 5), handle: BigInt(bytes.readUInt16LE(at + 6)), object: bytes.readBigUInt64LE(at + 8), grantedAccess: bytes.readUInt32LE(at + 16) });
  }
  return out;
}

/** A UNICODE_STRING at `at` whose Buffer points inside `bytes` (sitting at `base`); null when it points elsewhere. */
export function unicodeStringIn(bytes: Buffer, at: number, base: bigint): string | null {
  if (at + 16 > bytes.length) return null;
  const length = bytes.readUInt16LE(at);
  const ptr = bytes.readBigUInt64LE(at + 8);
  if (length === 0) return '';
  const off = Number(ptr - base);
  if (ptr < base || off + length > bytes.length || length % 2) return null;
  return bytes.toString('utf16le', off, off + length);
}

/** OBJECT_TYPE_INFORMATION (x64): TypeName UNICODE_STRING @0 … TypeIndex u8 @0x5A (8.1+); 0x68 bytes, then the name. */
const OBJECT_TYPE_INFORMATION_BYTES = 0x68;

/**
 * NtQueryObject(NULL, ObjectTypesInformation = 3): NumberOfTypes u32 @0, then each OBJECT_TYPE_INFORMATION at
 * pointer alignment, its TypeName's characters right after it. Type index → name; the index is TypeIndex where the
 * OS fills it (8.1+), else the entry's position + 2 (Windows 7's numbering).
 */
export function parseObjectTypes(bytes: Buffer, base: bigint): Map<number, string> {
  const out = new Map<number, string>();
  if (bytes.length < 8) return out;
  const count = bytes.readUInt32LE(0);
  let at = 8;
  for (let i = 0; i < count && i < 512; i++) {
    if (at + OBJECT_TYPE_INFORMATION_BYTES > bytes.length) break;
    const name = unicodeStringIn(bytes, at, base);
    const maxLength = bytes.readUInt16LE(at + 2);
    const index = bytes.readUInt8(at + 0x5a) || i + 2;
    if (name) out.set(index, name);
    at += OBJECT_TYPE_INFORMATION_BYTES + ((maxLength + 7) & ~7);
  }
  return out;
}

/** MIB_TCP_STATE (tcpmib.h). */
const TCP_STATES = ['', 'CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT', 'DELETE_TCB'];

export interface SocketRecord {
  protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  pid: number;
  localAddress: string;
  localPort: number;
  remoteAddress: string | null;
  remotePort: number | null;
  state: string | null;
}

/** A port in a DWORD, network byte order in its low 16 bits. */
const port = (b: Buffer, at: number): number => (b.readUInt8(at) << 8) | b.readUInt8(at + 1);
const ipv4 = (b: Buffer, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

/** RFC 5952 text of 16 bytes: lower case, the longest run of ≥ 2 zero groups as ::, the first on a tie. */
export function ipv6Text(b: Buffer, at: number): string {
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(at + i * 2));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

type TableKind = 'tcp' | 'tcp6' | 'udp' | 'udp6';
/** Row sizes: MIB_TCPROW_OWNER_PID 24, MIB_TCP6ROW_OWNER_PID 56, MIB_UDPROW_OWNER_PID 12, MIB_UDP6ROW_OWNER_PID 28. */
const ROW_BYTES: Record<TableKind, number> = { tcp: 24, tcp6: 56, udp: 12, udp6: 28 };

/** The rows of `pid` (all rows when null) of a GetExtendedTcpTable / GetExtendedUdpTable owner-pid table. */
export function parseSocketTable(kind: TableKind, b: Buffer, pid: number | null): SocketRecord[] {
  if (b.length < 4) return [];
  const count = b.readUInt32LE(0);
  const size = ROW_BYTES[kind];
  if (4 + count * size > b.length) throw new Error(`The ${kind} table claims ${count} rows, more than its buffer holds.`);
  const out: SocketRecord[] = [];
  for (let i = 0; i < count; i++) {
    const r = 4 + i * size;
    let rec: SocketRecord;
    if (kind === 'tcp') {
      rec = { protocol: kind, pid: b.readUInt32LE(r + 20), localAddress: ipv4(b, r + 4), localPort: port(b, r + 8), remoteAddress: ipv4(b, r + 12), remotePort: port(b, r + 16), state: TCP_STATES[b.readUInt32LE(r)] ?? null };
    } else if (kind === 'tcp6') {
      rec = { protocol: kind, pid: b.readUInt32LE(r + 52), localAddress: ipv6Text(b, r), localPort: port(b, r + 20), remoteAddress: ipv6Text(b, r + 24), remotePort: port(b, r + 44), state: TCP_STATES[b.readUInt32LE(r + 48)] ?? null };
    } else if (kind === 'udp') {
      rec = { protocol: kind, pid: b.readUInt32LE(r + 8), localAddress: ipv4(b, r), localPort: port(b, r + 4), remoteAddress: null, remotePort: null, state: null };
    } else {
      rec = { protocol: kind, pid: b.readUInt32LE(r + 24), localAddress: ipv6Text(b, r), localPort: port(b, r + 20), remoteAddress: null, remotePort: null, state: null };
    }
    if (rec.state === 'LISTEN') [rec.remoteAddress, rec.remotePort] = [null, null];
    if (pid === null || rec.pid === pid) out.push(rec);
  }
  return out;
}

/** SERVICE_STATUS_PROCESS.dwCurrentState (winsvc.h). */
const SERVICE_STATES = ['', 'stopped', 'start-pending', 'stop-pending', 'running', 'continue-pending', 'pause-pending', 'paused'];

export interface ServiceRecord {
  name: string;
  displayName: string | null;
  state: string | null;
  pid: number;
  serviceType: number;
}

/** ENUM_SERVICE_STATUS_PROCESSW (x64): lpServiceName @0, lpDisplayName @8, SERVICE_STATUS_PROCESS @16 (dwServiceType
 * @16, dwCurrentState @20, … dwProcessId @44, dwServiceFlags @48); 56 bytes. */
const SERVICE_ENTRY = 56;

/** A NUL-terminated UTF-16 string at a pointer into `bytes`; null when it points elsewhere. */
function wideStringAt(bytes: Buffer, ptr: bigint, base: bigint): string | null {
  const off = Number(ptr - base);
  if (ptr < base || off >= bytes.length || off % 2) return null;
  let end = off;
  while (end + 1 < bytes.length && bytes.readUInt16LE(end) !== 0) end += 2;
  return bytes.toString('utf16le', off, end);
}

/** `count` entries of EnumServicesStatusExW(SC_ENUM_PROCESS_INFO) whose strings point into `bytes` (at `base`). */
export function parseServiceEntries(bytes: Buffer, base: bigint, count: number): ServiceRecord[] {
  if (count * SERVICE_ENTRY > bytes.length) throw new Error(`EnumServicesStatusExW returned ${count} services, more than its buffer holds.`);
  const out: ServiceRecord[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * SERVICE_ENTRY;
    const name = wideStringAt(bytes, bytes.readBigUInt64LE(at), base);
    if (!name) continue;
    out.push({
      name,
      displayName: wideStringAt(bytes, bytes.readBigUInt64LE(at + 8), base) || null,
      serviceType: bytes.readUInt32LE(at + 16),
      state: SERVICE_STATES[bytes.readUInt32LE(at + 20)] ?? null,
      pid: bytes.readUInt32LE(at + 44),
    });
  }
  return out;
}

/**
 * An environment block (UTF-16 `NAME=VALUE\0…\0\0`) as name/value pairs in order. A name may start with `=` (the
 * per-drive current directories, `=C:=C:\dir`), so the separator is the first `=` after the first character.
 */
export function parseEnvironmentBlock(b: Buffer): { name: string; value: string }[] {
  const text = b.toString('utf16le', 0, b.length - (b.length % 2));
  const out: { name: string; value: string }[] = [];
  for (const entry of text.split('\0')) {
    if (entry === '') break;
    const eq = entry.indexOf('=', 1);
    if (eq < 0) out.push({ name: entry, value: '' });
    else out.push({ name: entry.slice(0, eq), value: entry.slice(eq + 1) });
  }
  return out;
}

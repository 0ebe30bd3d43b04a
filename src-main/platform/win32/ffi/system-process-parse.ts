/*
 * Decodes the SystemProcessInformation block (SYSTEM_PROCESS_INFORMATION + SYSTEM_THREAD_INFORMATION, x64 layout
 * from winternl.h / NATIVE.md) into plain records. Pure: no koffi, so it is unit-tested on Linux with synthetic
 * buffers. It must never follow a pointer except ImageName.Buffer, which the kernel points inside the same block.
 */
import { fileTimeToUnixMs } from './win-time';

export interface SystemProcessRecord {
  pid: number;
  ppid: number;
  /** '' for the idle process (pid 0), whose ImageName is empty. */
  imageName: string;
  threadCount: number;
  handleCount: number;
  sessionId: number;
  basePriority: number;
  /** ms since the Unix epoch; 0 for the idle and System processes on Windows. */
  createTimeMs: number;
  /** FILETIME value, exact: the identity part of a process kept with full precision for the extras cache. */
  createTime100ns: bigint;
  cpuTimeMs: number;
  workingSetBytes: number;
  /** PrivatePageCount: Process Explorer's "Private Bytes" (0 under Wine). */
  privateBytes: number;
  pagefileUsageBytes: number;
  virtualBytes: number;
  /** IO_COUNTERS' fields at 0xD0–0xF8: file, device and network I/O (what Process Explorer's I/O columns show). */
  ioReadOps: number;
  ioWriteOps: number;
  ioReadBytes: number;
  ioWriteBytes: number;
  /**
   * Every thread waits with reason Suspended (System Informer's test; a process with no thread is not suspended).
   * Wine fills ThreadState / WaitReason for its own threads only as it knows them: see scripts/test-win.mjs.
   */
  suspended: boolean;
}

/** KTHREAD_STATE Waiting and KWAIT_REASON Suspended (wdm.h / ntddk.h). */
const THREAD_STATE_WAITING = 5;
const WAIT_REASON_SUSPENDED = 5;

const ENTRY_SIZE = 0x100;
const THREAD_SIZE = 0x50;

function allThreadsSuspended(bytes: Buffer, first: number, threadCount: number): boolean {
  if (threadCount === 0 || first + threadCount * THREAD_SIZE > bytes.length) return false;
  for (let t = 0; t < threadCount; t++) {
    const at = first + t * THREAD_SIZE;
    if (bytes.readUInt32LE(at + 0x44) !== THREAD_STATE_WAITING || bytes.readUInt32LE(at + 0x48) !== WAIT_REASON_SUSPENDED) return false;
  }
  return true;
}

export function parseSystemProcessInformation(bytes: Buffer, baseAddress: bigint): SystemProcessRecord[] {
  const out: SystemProcessRecord[] = [];
  let offset = 0;
  for (let guard = 0; guard < 1_000_000; guard++) {
    if (offset + ENTRY_SIZE > bytes.length) throw new Error('SystemProcessInformation entry runs past the buffer.');
    const next = bytes.readUInt32LE(offset);
    const threadCount = bytes.readUInt32LE(offset + 0x04);
    const createTime100ns = bytes.readBigUInt64LE(offset + 0x20);
    const user100ns = bytes.readBigUInt64LE(offset + 0x28);
    const kernel100ns = bytes.readBigUInt64LE(offset + 0x30);
    const nameBytes = bytes.readUInt16LE(offset + 0x38);
    const namePtr = bytes.readBigUInt64LE(offset + 0x40);
    let imageName = '';
    if (nameBytes > 0 && namePtr !== 0n) {
      const nameOffset = Number(namePtr - baseAddress);
      if (nameOffset < 0 || nameOffset + nameBytes > bytes.length) {
        throw new Error('SystemProcessInformation ImageName points outside the buffer.');
      }
      imageName = bytes.toString('utf16le', nameOffset, nameOffset + nameBytes);
    }
    const u64 = (at: number): number => Number(bytes.readBigUInt64LE(offset + at));
    out.push({
      pid: u64(0x50),
      ppid: u64(0x58),
      imageName,
      threadCount,
      handleCount: bytes.readUInt32LE(offset + 0x60),
      sessionId: bytes.readUInt32LE(offset + 0x64),
      basePriority: bytes.readInt32LE(offset + 0x48),
      createTimeMs: createTime100ns === 0n ? 0 : fileTimeToUnixMs(createTime100ns),
      createTime100ns,
      cpuTimeMs: Number((user100ns + kernel100ns) / 10_000n),
      workingSetBytes: u64(0x90),
      privateBytes: u64(0xc8),
      pagefileUsageBytes: u64(0xb8),
      virtualBytes: u64(0x78),
      ioReadOps: u64(0xd0),
      ioWriteOps: u64(0xd8),
      ioReadBytes: u64(0xe8),
      ioWriteBytes: u64(0xf0),
      suspended: allThreadsSuspended(bytes, offset + ENTRY_SIZE, threadCount),
    });
    if (next === 0) return out;
    if (next < ENTRY_SIZE + threadCount * THREAD_SIZE) {
      throw new Error('SystemProcessInformation NextEntryOffset is too small.');
    }
    offset += next;
  }
  throw new Error('SystemProcessInformation has no end.');
}

// The capture engine's byte layouts on any OS: DEBUG_EVENT decoded from crafted buffers at the minwinbase.h x64
// offsets, the handles NtWaitForDebugEvent leaves to us, continue statuses, crash codes and the job structures.
import { describe, expect, it } from 'vitest';
import {
  DBG_CONTINUE, DBG_EXCEPTION_NOT_HANDLED, DEBUG_EVENT_BYTES, DebugEventCode, decodeDebugEvent, decodeProcessIdList,
  encodeBreakawayLimit, encodeRelativeTimeout, exceptionContinueStatus, handleOffsetsOf, isCrash, needsDecision,
} from './debug-event';

function craft(code: number, pid: number, tid: number, fill: (b: Buffer) => void = () => undefined): Buffer {
  const b = Buffer.alloc(DEBUG_EVENT_BYTES, 0xee);
  b.writeUInt32LE(code, 0);
  b.writeUInt32LE(pid, 4);
  b.writeUInt32LE(tid, 8);
  fill(b);
  return b;
}

describe('decodeDebugEvent', () => {
  it('reads CREATE_PROCESS_DEBUG_INFO.lpBaseOfImage at 40, not the handles before it', () => {
    const b = craft(DebugEventCode.CREATE_PROCESS, 1234, 5678, (x) => {
      x.writeBigUInt64LE(0x111n, 16);
      x.writeBigUInt64LE(0x222n, 24);
      x.writeBigUInt64LE(0x333n, 32);
      x.writeBigUInt64LE(0x140000000n, 40);
    });
    expect(decodeDebugEvent(b)).toEqual({ code: 'create-process', pid: 1234, tid: 5678, imageBase: 0x140000000n });
  });
  it('reads an exception: code at 16, address at 32, dwFirstChance at 168', () => {
    const b = craft(DebugEventCode.EXCEPTION, 9, 10, (x) => {
      x.writeUInt32LE(0xc0000005, 16);
      x.writeBigUInt64LE(0x7ff612345678n, 32);
      x.writeUInt32LE(1, 168);
    });
    expect(decodeDebugEvent(b)).toEqual({ code: 'exception', pid: 9, tid: 10, exceptionCode: 0xc0000005, address: 0x7ff612345678n, firstChance: true });
    b.writeUInt32LE(0, 168);
    expect(decodeDebugEvent(b)).toMatchObject({ firstChance: false });
  });
  it('reads EXIT_PROCESS_DEBUG_INFO.dwExitCode at 16, unsigned', () => {
    const b = craft(DebugEventCode.EXIT_PROCESS, 7, 8, (x) => x.writeUInt32LE(0xc0000005, 16));
    expect(decodeDebugEvent(b)).toEqual({ code: 'exit-process', pid: 7, tid: 8, exitCode: 0xc0000005 });
  });
  it('passes other events through with their raw code, and refuses a short buffer', () => {
    expect(decodeDebugEvent(craft(DebugEventCode.LOAD_DLL, 1, 2))).toEqual({ code: 'other', pid: 1, tid: 2, rawCode: 6 });
    expect(() => decodeDebugEvent(Buffer.alloc(175))).toThrow(RangeError);
  });
});

describe('what the worker does with each event', () => {
  it('closes the handles NtWaitForDebugEvent opened: file, process and thread of a new process; the thread; the DLL file', () => {
    expect(handleOffsetsOf(DebugEventCode.CREATE_PROCESS)).toEqual([16, 24, 32]);
    expect(handleOffsetsOf(DebugEventCode.CREATE_THREAD)).toEqual([16]);
    expect(handleOffsetsOf(DebugEventCode.LOAD_DLL)).toEqual([16]);
    expect(handleOffsetsOf(DebugEventCode.EXIT_PROCESS)).toEqual([]);
    expect(handleOffsetsOf(DebugEventCode.EXCEPTION)).toEqual([]);
  });
  it('asks the engine only about CREATE_PROCESS, EXCEPTION and EXIT_PROCESS', () => {
    const asked = Object.values(DebugEventCode).filter(needsDecision);
    expect(asked.sort()).toEqual([DebugEventCode.EXCEPTION, DebugEventCode.CREATE_PROCESS, DebugEventCode.EXIT_PROCESS].sort());
  });
});

describe('continue status and crash codes', () => {
  it('swallows only the loader breakpoint of a process held at birth; every other exception goes back unhandled', () => {
    expect(exceptionContinueStatus(0x80000003, true, true)).toBe(DBG_CONTINUE);
    expect(exceptionContinueStatus(0x4000001f, true, true)).toBe(DBG_CONTINUE);
    expect(exceptionContinueStatus(0x80000003, true, false)).toBe(DBG_EXCEPTION_NOT_HANDLED);
    expect(exceptionContinueStatus(0x80000003, false, true)).toBe(DBG_EXCEPTION_NOT_HANDLED);
    expect(exceptionContinueStatus(0xc0000005, true, true)).toBe(DBG_EXCEPTION_NOT_HANDLED);
    expect(exceptionContinueStatus(0xe06d7363, true, false)).toBe(DBG_EXCEPTION_NOT_HANDLED);
  });
  it('is a crash at second chance always, at first chance only for the fatal list', () => {
    for (const code of [0xc0000005, 0xc00000fd, 0xc0000409, 0xc0000374]) expect(isCrash(code, true)).toBe(true);
    expect(isCrash(0xe06d7363, true)).toBe(false);
    expect(isCrash(0xe0434352, true)).toBe(false);
    expect(isCrash(0xe06d7363, false)).toBe(true);
    // A code read as a signed int32 is the same code.
    expect(isCrash(0xc0000005 | 0, true)).toBe(true);
  });
});

describe('job structures', () => {
  it('decodes JOBOBJECT_BASIC_PROCESS_ID_LIST and never reads past the buffer', () => {
    const b = Buffer.alloc(8 + 3 * 8);
    b.writeUInt32LE(5, 0);
    b.writeUInt32LE(3, 4);
    [100, 204, 4096].forEach((pid, i) => b.writeBigUInt64LE(BigInt(pid), 8 + i * 8));
    expect(decodeProcessIdList(b)).toEqual({ assignedCount: 5, pids: [100, 204, 4096] });
    b.writeUInt32LE(1000, 4);
    expect(decodeProcessIdList(b).pids).toHaveLength(3);
  });
  it('asks for BREAKAWAY_OK (0x800) at LimitFlags @16 of a 144-byte extended limit, and nothing else', () => {
    const b = encodeBreakawayLimit();
    expect(b.length).toBe(144);
    expect(b.readUInt32LE(16)).toBe(0x800);
    expect([...b].reduce((n, x) => n + (x ? 1 : 0), 0)).toBe(1);
  });
  it('encodes a relative NT timeout in negative 100 ns units', () => {
    expect(encodeRelativeTimeout(5).readBigInt64LE(0)).toBe(-50_000n);
    expect(encodeRelativeTimeout(0).readBigInt64LE(0)).toBe(0n);
  });
});

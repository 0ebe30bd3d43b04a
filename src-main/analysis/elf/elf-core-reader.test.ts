// The ELF core reader on synthetic cores built with our writer's layout code: every note decoded, NT_FILE in
// both page conventions, reads by address (inside, across adjacent segments, in undumped segments, outside),
// PN_XNUM, and a sentence for each kind of malformed file. Real cores are read in ../unwind/core-unwind.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSyntheticCore, SYNTHETIC_RIP } from './__fixtures__/synthetic-core';
import { openElfCore } from './elf-core-reader';
import { ElfFormatError } from './elf-format';

const dir = mkdtempSync(join(tmpdir(), 'procscope-elf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(bytes: Buffer): string {
  const p = join(dir, `core-${n++}`);
  writeFileSync(p, bytes);
  return p;
}

async function refusal(bytes: Buffer): Promise<string> {
  try {
    const core = await openElfCore(file(bytes));
    await core.close();
  } catch (err) {
    expect(err).toBeInstanceOf(ElfFormatError);
    return (err as Error).message;
  }
  throw new Error('the reader opened a malformed core');
}

describe('ELF core reader', () => {
  it('decodes threads, process, auxv, siginfo and NT_FILE (kernel page units)', async () => {
    const s = buildSyntheticCore({ threadCount: 3 });
    const core = await openElfCore(file(s.bytes));
    try {
      expect(core.threads.map((t) => t.tid)).toEqual(s.tids);
      const t = core.threads[1]!;
      expect(t.regs.rip).toBe(SYNTHETIC_RIP + 1n);
      expect(t.regs.orig_rax).toBe(202n);
      expect(t.regs.rsi).toBe(0x80n);
      expect(t.userTimeUs).toBe(3_000_250);
      expect(t.systemTimeUs).toBe(500_000);
      expect(t.hasFpregs).toBe(true);
      expect(t.hasXstate).toBe(false);
      expect(core.threads[0]!.cursig).toBe(11);
      expect(core.process).toMatchObject({ pid: 4242, uid: 1000, fileName: 'synthetic', args: 'synthetic --flag', stateChar: 'S' });
      expect(core.siginfo).toEqual({ signo: 11, errno: 0, code: 0, faultAddress: 0xdeadn });
      expect(core.auxv.get(6)).toBe(4096n);
      expect(core.filePageBytes).toBe(4096);
      expect(core.files.map((f) => [f.start, f.fileOffset, f.path])).toEqual([
        [0x400000n, 0n, '/usr/bin/synthetic'],
        [0x401000n, 0x1000n, '/usr/bin/synthetic'],
        [0x601000n, 0x2000n, '/usr/lib/libsynthetic.so.1'],
      ]);
    } finally {
      await core.close();
    }
  });

  it("honours gcore's NT_FILE page_size of 1 (byte offsets)", async () => {
    const core = await openElfCore(file(buildSyntheticCore({ filePageBytes: 1 }).bytes));
    try {
      expect(core.filePageBytes).toBe(1);
      expect(core.files.map((f) => f.fileOffset)).toEqual([0n, 0x1000n, 0x2000n]);
    } finally {
      await core.close();
    }
  });

  it('reads memory by address: inside, across adjacent segments, never from undumped or absent ranges', async () => {
    const core = await openElfCore(file(buildSyntheticCore().bytes));
    try {
      const expectBytes = (b: Buffer | null, at: number) => {
        expect(b).not.toBeNull();
        b!.forEach((v, i) => expect(v).toBe((at + i) & 0xff));
      };
      expectBytes(await core.readMemory(0x400010n, 32), 0x400010);
      expectBytes(await core.readMemory(0x601ff0n, 32), 0x601ff0); // spans 0x601000 and 0x602000
      expect(await core.readMemory(0x401000n, 8)).toBeNull(); // PT_LOAD with p_filesz 0
      expect(await core.readMemory(0x400ff8n, 16)).toBeNull(); // runs into the undumped segment
      expect(await core.readMemory(0x500000n, 1)).toBeNull();
      expect(await core.readMemory(2n ** 64n - 4n, 8)).toBeNull();
      expect((await core.readMemory(0x400000n, 0))?.length).toBe(0);
      expect(core.segmentAt(0x401800n)).toMatchObject({ start: 0x401000n, fileBytes: 0 });
      await expect(core.readMemory(0x400000n, -1)).rejects.toThrow(RangeError);
    } finally {
      await core.close();
    }
  });

  it('reads the real program header count of a core with 65535 or more (PN_XNUM)', async () => {
    const s = buildSyntheticCore({ extraSegments: 0xffff });
    expect(s.bytes.readUInt16LE(56)).toBe(0xffff);
    const core = await openElfCore(file(s.bytes));
    try {
      expect(core.segments.length).toBe(0xffff + 5);
      expect(core.threads).toHaveLength(2);
    } finally {
      await core.close();
    }
  });

  it('refuses malformed cores with a sentence naming what is wrong', async () => {
    const s = buildSyntheticCore();
    const edit = (f: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(s.bytes);
      f(b);
      return b;
    };
    const lastLoad = s.phdrOffsets.at(-1)!;
    expect(await refusal(Buffer.from('not a core at all, but long enough to hold an ELF header ............'))).toMatch(/not ELF/);
    expect(await refusal(s.bytes.subarray(0, 40))).toMatch(/too small/);
    expect(await refusal(edit((b) => b.writeUInt16LE(2, 16)))).toMatch(/not ET_CORE/);
    expect(await refusal(edit((b) => b.writeUInt16LE(183, 18)))).toMatch(/only x86-64/);
    expect(await refusal(edit((b) => b.writeUInt16LE(60_000, 56)))).toMatch(/program headers at offset 64 run past the end/);
    expect(await refusal(s.bytes.subarray(0, s.bytes.length - 100))).toMatch(/truncated: PT_LOAD 5 .* needs file bytes up to/);
    expect(await refusal(edit((b) => b.writeBigUInt64LE(0x400800n, s.phdrOffsets[2]! + 16)))).toMatch(/PT_LOAD segments overlap/);
    expect(await refusal(edit((b) => b.writeBigUInt64LE(2n ** 64n - 0x1000n, lastLoad + 16)))).toMatch(/wraps past the top/);
    expect(await refusal(edit((b) => b.writeBigUInt64LE(2n ** 62n, lastLoad + 8)))).toMatch(/larger than any file|lies outside/);
    expect(await refusal(edit((b) => b.writeUInt32LE(0xfffffff0, s.noteHeaderOffsets[0]! + 4)))).toMatch(/note 0 \(type 0x1\) claims 4294967280 bytes/);
    expect(await refusal(edit((b) => b.writeBigUInt64LE(2n ** 40n, s.fileNoteDescOffset)))).toMatch(/NT_FILE note claims 1099511627776 mappings/);
    expect(await refusal(edit((b) => b.writeBigUInt64LE(3n, s.fileNoteDescOffset + 8)))).toMatch(/page size 3 is not a power of two/);
    const single = buildSyntheticCore({ threadCount: 1 });
    const noThread = Buffer.from(single.bytes);
    noThread.writeUInt32LE(7, single.noteHeaderOffsets[0]! + 8);
    expect(await refusal(noThread)).toMatch(/holds no NT_PRSTATUS note/);
  });
});

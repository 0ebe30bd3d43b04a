// The pure parts of the Linux core writer on a recorded fixture: /proc/PID/smaps of dump-target (4 MiB heap
// block, five threads), which segments full and mini dumps take, and the ELF byte layout.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeFileNote, encodePrpsinfo } from './core-notes';
import { statFields } from '../../platform/linux/proc-stat';
import { ELF_HEADER_BYTES, PHDR_BYTES, encodeHeaders, encodeNotes, layoutCore, type LoadSegment } from './elf-core-layout';
import { MINI_SMALL_ANON_BYTES, planSegments, type PlannedSegment } from './mapping-plan';
import { isAnonymousPrivate, parseMaps, parseSmaps } from './proc-maps';
import { toGdbXsaveLayout } from './xsave-layout';

const PAGE = 4096;
const smapsText = readFileSync(join(import.meta.dirname, '__fixtures__', 'dump-target.smaps'), 'latin1');
const maps = parseMaps(smapsText);
const smaps = parseSmaps(smapsText);
const byPath = (p: string) => maps.find((m) => m.path === p)!;
const content = (segs: PlannedSegment[]) => segs.filter((s) => s.fileBytes > 0);

describe('proc maps and smaps parsing', () => {
  it('reads every mapping except [vsyscall] (above 2^53), with flags, rss and VmFlags', () => {
    expect(maps).toHaveLength(33);
    expect(smaps.size).toBe(33);
    expect(maps.some((m) => m.path === '[vsyscall]')).toBe(false);
    const vvar = smaps.get(byPath('[vvar]').startAddr)!;
    expect([...vvar.vmFlags]).toEqual(expect.arrayContaining(['dd', 'io', 'pf']));
    const libcData = maps.find((m) => m.path.endsWith('libc.so.6') && m.writable)!;
    expect(libcData).toMatchObject({ readable: true, writable: true, executable: false, shared: false });
    expect(smaps.get(libcData.startAddr)!.anonymousBytes).toBeGreaterThan(0);
    expect(isAnonymousPrivate(byPath('[heap]'))).toBe(true);
    expect(isAnonymousPrivate(byPath('[vdso]'))).toBe(false);
    expect(isAnonymousPrivate(libcData)).toBe(false);
  });
});

describe('segment plan', () => {
  it('full: one PT_LOAD per mapping; unreadable, guard and kernel pseudo-mappings have no content', () => {
    const { segments } = planSegments('full', maps, smaps, [], PAGE);
    expect(segments).toHaveLength(maps.length);
    for (const [i, m] of maps.entries()) {
      const s = segments[i]!;
      expect(s.vaddr).toBe(m.startAddr);
      expect(s.memBytes).toBe(m.endAddr - m.startAddr);
      const expectContent = m.readable && m.path !== '[vvar]' && m.path !== '[vvar_vclock]';
      expect(s.fileBytes).toBe(expectContent ? s.memBytes : 0);
    }
  });

  it('mini: stacks from the stack pointer, ELF header pages, written data, vDSO, small anon blocks, register windows', () => {
    const threadStacks = maps.filter((m) => m.path === '' && m.readable && m.endAddr - m.startAddr === 8 * 2 ** 20);
    expect(threadStacks).toHaveLength(5);
    const big = maps.find((m) => m.path === '' && m.endAddr - m.startAddr > 4 * 2 ** 20 && m.endAddr - m.startAddr < 8 * 2 ** 20)!;
    const pointerIntoBig = big.startAddr + 2 * 2 ** 20 + 123;
    const threads = threadStacks.map((m) => ({ stackPointer: m.endAddr - 10_000, registerValues: [m.endAddr - 10_000] }));
    threads[0]!.registerValues = [pointerIntoBig];
    const { segments } = planSegments('mini', maps, smaps, threads, PAGE);
    const kept = content(segments);
    // Every thread stack: from a page below (sp - 512) to the top of the mapping, nothing else of it.
    for (const m of threadStacks) {
      const s = kept.filter((x) => x.vaddr >= m.startAddr && x.vaddr < m.endAddr);
      expect(s).toHaveLength(1);
      expect(s[0]!.vaddr).toBe(Math.floor((m.endAddr - 10_000 - 512) / PAGE) * PAGE);
      expect(s[0]!.vaddr + s[0]!.fileBytes).toBe(m.endAddr);
    }
    // The first page of every mapped file at offset 0 (ELF header, build id).
    for (const m of maps.filter((x) => x.path.startsWith('/') && x.fileOffset === 0)) {
      expect(kept.some((s) => s.vaddr === m.startAddr && s.fileBytes >= PAGE)).toBe(true);
    }
    // Written data segments and the vDSO whole; the kernel's vvar never.
    const libcData = maps.find((m) => m.path.endsWith('libc.so.6') && m.writable)!;
    expect(kept.some((s) => s.vaddr === libcData.startAddr && s.fileBytes === libcData.endAddr - libcData.startAddr)).toBe(true);
    expect(kept.some((s) => s.vaddr === byPath('[vdso]').startAddr)).toBe(true);
    expect(kept.some((s) => s.vaddr === byPath('[vvar]').startAddr)).toBe(false);
    // The big block: only the window around the register value.
    const inBig = kept.filter((s) => s.vaddr >= big.startAddr && s.vaddr < big.endAddr);
    expect(inBig).toHaveLength(1);
    expect(inBig[0]!.vaddr).toBeLessThanOrEqual(pointerIntoBig);
    expect(inBig[0]!.vaddr + inBig[0]!.fileBytes).toBeGreaterThan(pointerIntoBig);
    expect(inBig[0]!.fileBytes).toBeLessThanOrEqual(2 * PAGE);
    // Small anonymous blocks whole; and the segments still tile every mapping exactly.
    for (const m of maps.filter((x) => isAnonymousPrivate(x) && x.readable && x.path === '' && x.endAddr - x.startAddr <= MINI_SMALL_ANON_BYTES)) {
      expect(kept.some((s) => s.vaddr === m.startAddr && s.fileBytes === m.endAddr - m.startAddr)).toBe(true);
    }
    const total = segments.reduce((n, s) => n + s.memBytes, 0);
    expect(total).toBe(maps.reduce((n, m) => n + m.endAddr - m.startAddr, 0));
    expect(content(segments).reduce((n, s) => n + s.fileBytes, 0)).toBeLessThan(2 * 2 ** 20);
  });
});

describe('ELF core layout', () => {
  it('pads note names and descriptors to 4 bytes', () => {
    const b = encodeNotes([
      { name: 'CORE', type: 1, desc: Buffer.from([1, 2, 3, 4, 5]) },
      { name: 'LINUX', type: 0x202, desc: Buffer.alloc(4, 9) },
    ]);
    expect(b.length).toBe(12 + 8 + 8 + (12 + 8 + 4));
    expect(b.readUInt32LE(0)).toBe(5);
    expect(b.readUInt32LE(4)).toBe(5);
    expect(b.toString('latin1', 12, 17)).toBe('CORE\0');
    expect(b.readUInt32LE(28)).toBe(6);
    expect(b.readUInt32LE(36)).toBe(0x202);
    expect(b.toString('latin1', 40, 46)).toBe('LINUX\0');
  });

  it('places segment data page-aligned after the headers, back to back', () => {
    const segs: LoadSegment[] = [
      { vaddr: 0x1000, memBytes: 0x2000, fileBytes: 0x2000, flags: 6, fileOffset: 0 },
      { vaddr: 0x9000, memBytes: 0x1000, fileBytes: 0, flags: 0, fileOffset: 0 },
      { vaddr: 0xa000, memBytes: 0x1000, fileBytes: 0x1000, flags: 4, fileOffset: 0 },
    ];
    const layout = layoutCore(100, segs, PAGE);
    expect(layout.headerBytes).toBe(ELF_HEADER_BYTES + 4 * PHDR_BYTES + 100);
    expect(layout.dataOffset).toBe(PAGE);
    expect(segs.map((s) => s.fileOffset)).toEqual([0x1000, 0x3000, 0x3000]);
    expect(layout.fileLength).toBe(0x4000);
    const h = encodeHeaders(Buffer.alloc(100, 7), segs, layout);
    expect(h.subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    expect(h.readUInt16LE(16)).toBe(4); // ET_CORE
    expect(h.readUInt16LE(18)).toBe(62); // EM_X86_64
    expect(h.readUInt16LE(56)).toBe(4); // e_phnum
    expect(h.readUInt32LE(64)).toBe(4); // PT_NOTE first
    expect(Number(h.readBigUInt64LE(64 + 8))).toBe(ELF_HEADER_BYTES + 4 * PHDR_BYTES);
    const load2 = 64 + 2 * PHDR_BYTES;
    expect(h.readUInt32LE(load2)).toBe(1); // PT_LOAD
    expect(Number(h.readBigUInt64LE(load2 + 16))).toBe(0x9000);
    expect(Number(h.readBigUInt64LE(load2 + 32))).toBe(0); // p_filesz
    expect(Number(h.readBigUInt64LE(load2 + 40))).toBe(0x1000); // p_memsz
  });

  it('uses PN_XNUM and section 0 beyond 65534 segments', () => {
    const segs: LoadSegment[] = Array.from({ length: 70_000 }, (_, i) => ({
      vaddr: i * PAGE,
      memBytes: PAGE,
      fileBytes: 0,
      flags: 4,
      fileOffset: 0,
    }));
    const layout = layoutCore(0, segs, PAGE);
    const h = encodeHeaders(Buffer.alloc(0), segs, layout);
    expect(h.readUInt16LE(56)).toBe(0xffff);
    const shoff = Number(h.readBigUInt64LE(40));
    expect(shoff).toBe(ELF_HEADER_BYTES + 70_001 * PHDR_BYTES);
    expect(h.readUInt16LE(60)).toBe(1);
    expect(h.readUInt32LE(shoff + 44)).toBe(70_001);
  });
});

describe('process notes', () => {
  it('NT_FILE lists file mappings with page offsets and paths', () => {
    const b = encodeFileNote(maps, PAGE);
    const files = maps.filter((m) => m.path.startsWith('/'));
    expect(Number(b.readBigUInt64LE(0))).toBe(files.length);
    expect(Number(b.readBigUInt64LE(8))).toBe(PAGE);
    expect(Number(b.readBigUInt64LE(16))).toBe(files[0]!.startAddr);
    expect(Number(b.readBigUInt64LE(16 + 16))).toBe(files[0]!.fileOffset / PAGE);
    expect(b.toString('utf8', 16 + files.length * 24).split('\0').slice(0, -1)).toEqual(files.map((m) => m.path));
  });

  it('NT_PRPSINFO carries state, ids, name and arguments at the kernel offsets', () => {
    const stat = statFields('77 (dump target) S 1 77 77 0 -1 4194560 0 0 0 0 3 1 0 0 20 0 6 0 100 0');
    const b = encodePrpsinfo({ pid: 77, comm: 'dump-target', args: 'dump-target 4', uid: 1000, gid: 100, stat });
    expect(b.length).toBe(136);
    expect(b.toString('latin1', 1, 2)).toBe('S');
    expect(b.readUInt32LE(16)).toBe(1000);
    expect(b.readUInt32LE(20)).toBe(100);
    expect(b.readInt32LE(24)).toBe(77);
    expect(b.readInt32LE(28)).toBe(1);
    expect(b.toString('latin1', 40, 51)).toBe('dump-target');
    expect(b.toString('latin1', 56, 69)).toBe('dump-target 4');
  });
});

describe('XSAVE layout for gdb 13', () => {
  const xsave = (xcr0: bigint, length: number): Buffer => {
    const b = Buffer.alloc(length);
    for (let i = 0; i < length; i++) b[i] = (i % 251) + 1;
    b.writeBigUInt64LE(xcr0, 464);
    return b;
  };

  it("moves AMD's AVX-512 components to Intel's offsets", () => {
    const amd = xsave(0xe7n, 2432);
    const out = toGdbXsaveLayout(amd);
    expect(out.length).toBe(2688);
    expect(out.subarray(0, 832)).toEqual(amd.subarray(0, 832));
    expect(out.subarray(832, 1088)).toEqual(Buffer.alloc(256)); // the MPX area, absent from XCR0
    expect(out.subarray(1088, 1152)).toEqual(amd.subarray(832, 896));
    expect(out.subarray(1152, 1664)).toEqual(amd.subarray(896, 1408));
    expect(out.subarray(1664, 2688)).toEqual(amd.subarray(1408, 2432));
  });

  it('keeps Intel layouts, AVX-only states and unknown sizes as they are', () => {
    for (const b of [xsave(0xe7n, 2688), xsave(0x7n, 832), xsave(0xffn, 2432), xsave(0x2e7n, 2600)]) {
      expect(toGdbXsaveLayout(b)).toBe(b);
    }
    const pkru = xsave(0x2e7n, 2440);
    const out = toGdbXsaveLayout(pkru);
    expect(out.length).toBe(2696);
    expect(out.subarray(2688, 2696)).toEqual(pkru.subarray(2432, 2440));
  });
});

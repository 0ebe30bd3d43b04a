import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSyntheticPe, unwindInfo } from '../pe/__fixtures__/synthetic-pe';
import { buildSyntheticMinidump, IMAGE_BASE } from './__fixtures__/synthetic-minidump';
import { describeDumpType, openMinidumpAnalysisInput } from './minidump-analysis-input';
import { localPathOf, peIdentity } from './minidump-modules';
import { MinidumpFormatError, openMinidump } from './minidump-reader';
import { StreamType } from './minidump-format';

const dir = mkdtempSync(join(tmpdir(), 'procscope-mdmp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Builds a small MDMP by the minidumpapiset.h layout: threads, one module, a Memory64List and MiscInfo. */
function synthetic(): { bytes: Buffer; marker: Buffer } {
  const marker = Buffer.from('MARKER-IN-MEMORY');
  const chunks: Buffer[] = [];
  let at = 32 + 5 * 12; // header + directory
  const place = (b: Buffer): number => {
    const rva = at;
    chunks.push(b);
    at += b.length;
    return rva;
  };
  const name = Buffer.from('C:\\app\\node.exe', 'utf16le');
  const nameStr = Buffer.alloc(4 + name.length);
  nameStr.writeUInt32LE(name.length, 0);
  name.copy(nameStr, 4);
  const nameRva = place(nameStr);
  const threads = Buffer.alloc(4 + 2 * 48);
  threads.writeUInt32LE(2, 0);
  threads.writeUInt32LE(0x114, 4);
  threads.writeUInt32LE(0x120, 4 + 48);
  const threadRva = place(threads);
  const modules = Buffer.alloc(4 + 108);
  modules.writeUInt32LE(1, 0);
  modules.writeBigUInt64LE(0x140000000n, 4);
  modules.writeUInt32LE(0x1000, 12);
  modules.writeUInt32LE(nameRva, 4 + 20);
  const moduleRva = place(modules);
  const misc = Buffer.alloc(24);
  misc.writeUInt32LE(24, 0);
  misc.writeUInt32LE(1, 4);
  misc.writeUInt32LE(272, 8);
  const miscRva = place(misc);
  const mem64 = Buffer.alloc(16 + 2 * 16);
  const mem64Rva = place(mem64);
  const page1 = Buffer.alloc(0x1000, 0xaa);
  const page2 = Buffer.alloc(0x1000);
  marker.copy(page2, 0x10);
  mem64.writeBigUInt64LE(2n, 0);
  mem64.writeBigUInt64LE(BigInt(at), 8);
  mem64.writeBigUInt64LE(0x10000n, 16);
  mem64.writeBigUInt64LE(0x1000n, 24);
  mem64.writeBigUInt64LE(0x20000n, 32);
  mem64.writeBigUInt64LE(0x1000n, 40);
  place(page1);
  place(page2);
  const header = Buffer.alloc(32 + 5 * 12);
  header.writeUInt32LE(0x504d444d, 0);
  header.writeUInt32LE(0xa793, 4);
  header.writeUInt32LE(5, 8);
  header.writeUInt32LE(32, 12);
  const dirEntries: [number, number, number][] = [
    [StreamType.ThreadList, threads.length, threadRva],
    [StreamType.ModuleList, modules.length, moduleRva],
    [StreamType.MiscInfo, misc.length, miscRva],
    [StreamType.Memory64List, mem64.length, mem64Rva],
    [0xfff0, 0, 32],
  ];
  dirEntries.forEach(([t, size, rva], i) => {
    header.writeUInt32LE(t, 32 + i * 12);
    header.writeUInt32LE(size, 36 + i * 12);
    header.writeUInt32LE(rva, 40 + i * 12);
  });
  return { bytes: Buffer.concat([header, ...chunks]), marker };
}

describe('openMinidump', () => {
  it('lists streams, threads, modules and memory, and reads memory by address', async () => {
    const { bytes, marker } = synthetic();
    const file = join(dir, 'ok.dmp');
    writeFileSync(file, bytes);
    const md = await openMinidump(file);
    try {
      expect(md.streams.map((s) => s.name)).toEqual(['ThreadList', 'ModuleList', 'MiscInfo', 'Memory64List', '0xfff0']);
      expect(md.threads.map((t) => t.threadId)).toEqual([0x114, 0x120]);
      expect(md.modules).toHaveLength(1);
      expect(md.modules[0]).toMatchObject({ name: 'node.exe', path: 'C:\\app\\node.exe', baseAddress: 0x140000000n, sizeBytes: 0x1000 });
      expect(md.processId).toBe(272);
      expect(md.memory.map((m) => [m.start, m.dataBytes])).toEqual([[0x10000n, 0x1000], [0x20000n, 0x1000]]);
      expect(await md.readMemory(0x20010n, marker.length)).toEqual(marker);
      expect(await md.readMemory(0x20ff0n, 0x20)).toBeNull();
      expect(await md.readMemory(0x30000n, 4)).toBeNull();
    } finally {
      await md.close();
    }
  });

  it('refuses files that are not minidumps or whose streams lie outside the file', async () => {
    const notDump = join(dir, 'not.dmp');
    writeFileSync(notDump, Buffer.alloc(64, 1));
    await expect(openMinidump(notDump)).rejects.toBeInstanceOf(MinidumpFormatError);
    const { bytes } = synthetic();
    const truncated = join(dir, 'truncated.dmp');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 0x1800));
    await expect(openMinidump(truncated)).rejects.toThrow(/past the end|outside/);
    const tiny = join(dir, 'tiny.dmp');
    writeFileSync(tiny, Buffer.from('MDMP'));
    await expect(openMinidump(tiny)).rejects.toThrow(/too small/);
  });
});

/** main (push rbx; sub rsp,0x20) → worker (sub rsp,0x28) → a leaf at 0x1300, with `call`s before the return addresses. */
function parkedImage(timeDateStamp = 0x61234567) {
  const code = Buffer.alloc(0x400, 0x90);
  code[0x50 - 5] = 0xe8;
  code[0x240 - 5] = 0xe8;
  return buildSyntheticPe({
    timeDateStamp,
    functions: [
      { begin: 0x1000, end: 0x1100, unwind: unwindInfo({ prolog: 5, codes: [[5, 2, 3], [1, 0, 3]] }) },
      { begin: 0x1200, end: 0x1280, unwind: unwindInfo({ prolog: 4, codes: [[4, 2, 4]] }) },
    ],
    code: [{ rva: 0x1000, bytes: code }],
    exports: [{ name: 'main', rva: 0x1000 }, { name: 'worker_mid', rva: 0x1210 }],
  });
}

function parkedDump(options: { imageInDump: boolean }) {
  const image = parkedImage();
  const stack = Buffer.alloc(0x100);
  stack.writeBigUInt64LE(IMAGE_BASE + 0x1240n, 0);
  stack.writeBigUInt64LE(IMAGE_BASE + 0x1050n, 8 + 0x28);
  const dump = buildSyntheticMinidump({
    moduleNames: ['Z:\\nowhere\\app.exe'],
    image: options.imageInDump ? image : { ...image, image: Buffer.alloc(0) },
    thread0: { registers: { rip: IMAGE_BASE + 0x1300n, rsp: 0x30000n }, stack },
    memoryPages: 1,
    memory64Pages: 1,
  });
  return { image, dump };
}

describe('openMinidump: the streams the report reads', () => {
  it('decodes contexts, thread info and names, CodeView and version, unloaded modules, memory info, handles, token, exception', async () => {
    const file = join(dir, 'streams.dmp');
    writeFileSync(file, buildSyntheticMinidump().bytes);
    const md = await openMinidump(file);
    try {
      expect(md.problems).toEqual([]);
      expect(md.threads[1]!.context).toMatchObject({ rsp: 0x31100n, rip: 0x140001010n, rax: 0n, r15: 15n, contextFlags: 0x10001f });
      expect(md.threadInfo.get(0x104)).toMatchObject({ kernelMs: 1, userMs: 2, startAddress: 0x140001000n, createTimeMs: 1655526400000 });
      expect(md.threadNames.get(0x108)).toBe('worker 2');
      expect(md.modules[0]!.codeView).toEqual({ guid: '33221100-5544-7766-8899-AABBCCDDEEFF', age: 3, pdbName: 'app.pdb' });
      expect(md.modules[1]!.version?.fileVersion).toBe('10.0.19041.1');
      expect(md.unloadedModules).toEqual([{ baseAddress: 0x150000000n, sizeBytes: 0x8000, checksum: 0, timeDateStamp: 0, path: 'old.dll', name: 'old.dll' }]);
      expect(md.memoryInfo?.map((r) => [r.baseAddress, r.protect, r.type])).toEqual([[0x30000n, 0x04, 0x20000], [IMAGE_BASE, 0x20, 0x1000000]]);
      expect(md.handles?.map((h) => [h.handle, h.typeName, h.objectName])).toEqual([[4n, 'Event', null], [8n, 'Event', null]]);
      expect(md.token).toEqual({ entries: 1, dataBytes: 16 });
      expect(md.exception).toMatchObject({ threadId: 0x108, code: 0xc0000005, address: 0x140001234n, parameters: [1n, 0xdeadn] });
      expect(md.exception?.context?.rip).toBe(0x1010n);
      expect(md.systemInfo?.csdVersion).toBe('');
    } finally {
      await md.close();
    }
  });

  it('leaves out a malformed side stream with a sentence instead of refusing the dump', async () => {
    const seed = buildSyntheticMinidump();
    const bytes = Buffer.from(seed.bytes);
    bytes.writeUInt32LE(0x7fffffff, seed.layout.sideCountOffsets[1]!); // ThreadNames count
    const file = join(dir, 'bad-names.dmp');
    writeFileSync(file, bytes);
    const md = await openMinidump(file);
    try {
      expect(md.threadNames.size).toBe(0);
      expect(md.problems).toEqual([expect.stringMatching(/^ThreadNames was left out: ThreadNames claims 2147483647 entries/)]);
      expect(md.threads).toHaveLength(3);
    } finally {
      await md.close();
    }
  });

  it('reads across adjacent memory ranges and finds ranges by bisection', async () => {
    const file = join(dir, 'ranges.dmp');
    writeFileSync(file, buildSyntheticMinidump({ memoryPages: 3, pageBytes: 0x1000 }).bytes);
    const md = await openMinidump(file);
    try {
      const across = await md.readMemory(0x30ff8n, 16);
      expect(across).toEqual(Buffer.concat([Buffer.alloc(8, 0x11), Buffer.alloc(8, 0x22)]));
      expect(md.rangeAt(0x32fffn)?.start).toBe(0x32000n);
      expect(md.rangeAt(0x33000n)).toBeNull();
      expect(await md.readMemory(0x32ff8n, 16)).toBeNull();
    } finally {
      await md.close();
    }
  });
});

describe('minidump analysis input', () => {
  it('unwinds a thread through the PE image held in the dump, with names only where exports start functions', async () => {
    const file = join(dir, 'parked.dmp');
    writeFileSync(file, parkedDump({ imageInDump: true }).dump.bytes);
    const input = await openMinidumpAnalysisInput(file, { localFiles: false });
    try {
      const t = input.threads[0]!;
      expect(t.frames.map((f) => [f.trust, f.module, f.moduleOffset, f.function])).toEqual([
        ['context', 'app.exe', 0x1300n, null],
        ['cfi', 'app.exe', 0x1240n, '<fn_1200>'],
        ['cfi', 'app.exe', 0x1050n, 'main'],
      ]);
      expect(t).toMatchObject({ tid: 0x100, name: 'worker 0', userMs: 0, kernelMs: 0, syscall: null });
      expect(t.stopSignal).toBeNull();
      // The exception's thread starts from the exception's context, and says what stopped it.
      const crashed = input.threads[2]!;
      expect(crashed.stopSignal).toEqual({ code: 0xc0000005, name: 'EXCEPTION_ACCESS_VIOLATION', faultAddress: 0xdeadn });
      expect(crashed.frames[0]).toMatchObject({ pc: 0x1010n, trust: 'context', module: null });
      expect(input.modules[0]).toMatchObject({ name: 'app.exe', identity: peIdentity(0x61234567, 0x6000), unwindSource: 'dump', version: '10.0.19041.0' });
      expect(input.os).toEqual({ family: 'windows', version: '10.0.19045', cpuCount: 8 });
      expect(input.process).toMatchObject({ pid: 4242, name: 'app.exe', commandLine: null });
      expect(input.qualityNotes.some((n) => /command line is not in the dump/.test(n))).toBe(true);
    } finally {
      await input.close();
    }
  });

  it('takes a module file only when its TimeDateStamp and SizeOfImage match, from the path or a symbol-store folder', async () => {
    const { dump, image } = parkedDump({ imageInDump: false });
    const file = join(dir, 'mini.dmp');
    writeFileSync(file, dump.bytes);
    const folder = join(dir, 'symbols');
    const id = peIdentity(image.timeDateStamp, image.sizeOfImage);
    mkdirSync(join(folder, 'app.exe', id), { recursive: true });
    // Another build of app.exe first in the folder: refused, and said so.
    writeFileSync(join(folder, 'app.exe', 'other'), '');
    writeFileSync(join(folder, 'app.exe', id, 'app.exe'), image.file);
    const wrong = join(dir, 'wrong');
    mkdirSync(wrong, { recursive: true });
    writeFileSync(join(wrong, 'app.exe'), parkedImage(0x11111111).file);
    const input = await openMinidumpAnalysisInput(file, { localFiles: false, symbolFolders: [wrong, folder] });
    try {
      expect(input.threads[0]!.frames.map((f) => f.function)).toEqual([null, '<fn_1200>', 'main']);
      expect(input.threads[0]!.frames.map((f) => f.trust)).toEqual(['context', 'cfi', 'cfi']);
      const m = input.modules[0]!;
      expect(m.unwindSource).toBe('folder');
      expect(m.notes).toEqual([expect.stringMatching(/wrong\/app\.exe was refused: its TimeDateStamp\+SizeOfImage 111111116000 is not the dumped module's 612345676000/)]);
    } finally {
      await input.close();
    }
    // With only the wrong build, no tables: the walk falls back to scanning, and the note says why.
    const blind = await openMinidumpAnalysisInput(file, { localFiles: false, symbolFolders: [wrong] });
    try {
      expect(blind.threads[0]!.frames.map((f) => f.trust)).toEqual(['context', 'scan', 'scan']);
      expect(blind.qualityNotes.some((n) => /No unwind table for app\.exe/.test(n))).toBe(true);
    } finally {
      await blind.close();
    }
  });

  it('does not unwind a dump of another architecture, and says so', async () => {
    const bytes = Buffer.from(buildSyntheticMinidump().bytes);
    const count = bytes.readUInt32LE(8);
    for (let i = 0; i < count; i++) {
      if (bytes.readUInt32LE(32 + i * 12) === StreamType.SystemInfo) bytes.writeUInt16LE(0 /* x86 */, bytes.readUInt32LE(40 + i * 12));
    }
    const file = join(dir, 'x86.dmp');
    writeFileSync(file, bytes);
    const input = await openMinidumpAnalysisInput(file, { localFiles: false });
    try {
      expect(input.threads.map((t) => [t.frames.length, t.stopReason])).toEqual(Array(3).fill([0, 'no AMD64 context: the thread was not unwound']));
      expect(input.qualityNotes).toContain('The dump is of processor architecture 0, not x64: its threads were not unwound (only x64 is supported).');
    } finally {
      await input.close();
    }
  });

  it('maps Windows paths through drive roots and names dump types', () => {
    expect(localPathOf('Z:\\tmp\\a\\b.exe', {})).toBe(process.platform === 'win32' ? 'Z:\\tmp\\a\\b.exe' : '/tmp/a/b.exe');
    expect(localPathOf('C:\\Windows\\System32\\ntdll.dll', { driveRoots: { c: '/mnt/c' } })).toBe('/mnt/c/Windows/System32/ntdll.dll');
    expect(localPathOf('C:\\x.dll', { driveRoots: { Z: '/' } })).toBeNull();
    expect(localPathOf('\\\\server\\share\\x.dll', { driveRoots: { Z: '/' } })).toBeNull();
    expect(describeDumpType(0x61826n)).toBe('full');
    expect(describeDumpType(0x1064n)).toBe('mini');
    expect(describeDumpType(0n)).toBe('MiniDumpNormal (0x0)');
    expect(describeDumpType(0x2002n)).toBe('WithFullMemory | WithCodeSegs (0x2002)');
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeAnalysisPack, encodeAnalysisPack } from '../../analysis/modules/analysis-pack-format';
import { packEntryReader, peImageOfPackEntry, pePackIdentity } from '../../analysis/modules/pe-pack';
import { buildSyntheticMinidump, IMAGE_BASE } from '../../analysis/minidump/__fixtures__/synthetic-minidump';
import { openMinidumpAnalysisInput } from '../../analysis/minidump/minidump-analysis-input';
import { buildSyntheticPe, RDATA_RVA, TEXT_RVA, unwindInfo } from '../../analysis/pe/__fixtures__/synthetic-pe';
import { PeImage } from '../../analysis/pe/pe-image';
import { readUnwindInfo } from '../../analysis/pe/x64-unwind';
import { buildWin32Pack, readDumpedModules, type DumpedModule } from './win32-pack-build';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'procscope-winpack-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** main (push rbx; sub rsp,0x20) → worker (sub rsp,0x28) → a leaf at 0x1300; plus a chained and an indirect entry. */
function parkedImage(timeDateStamp = 0x61234567) {
  const code = Buffer.alloc(0x400, 0x90);
  code[0x50 - 5] = 0xe8;
  code[0x240 - 5] = 0xe8;
  return buildSyntheticPe({
    timeDateStamp,
    functions: [
      { begin: 0x1000, end: 0x1100, unwind: unwindInfo({ prolog: 5, codes: [[5, 2, 3], [1, 0, 3]] }) },
      { begin: 0x1200, end: 0x1280, unwind: unwindInfo({ prolog: 4, codes: [[4, 2, 4]] }) },
      // A fragment of main chained to main's UNWIND_INFO (the first one, at .rdata's start).
      { begin: 0x1280, end: 0x12c0, unwind: unwindInfo({ prolog: 0, codes: [], chained: [0x1000, 0x1100, RDATA_RVA] }) },
      { begin: 0x12c0, end: 0x12e0, unwind: null, indirect: 0 },
    ],
    code: [{ rva: TEXT_RVA, bytes: code }],
    exports: [{ name: 'main', rva: 0x1000 }, { name: 'worker_mid', rva: 0x1210 }],
  });
}

/** A mini dump (no image in it) of one thread parked in the leaf, its module at `modulePath`. */
function miniDump(modulePath: string, image = parkedImage()) {
  const stack = Buffer.alloc(0x100);
  stack.writeBigUInt64LE(IMAGE_BASE + 0x1240n, 0);
  stack.writeBigUInt64LE(IMAGE_BASE + 0x1050n, 8 + 0x28);
  return buildSyntheticMinidump({
    moduleNames: [modulePath],
    image: { ...image, image: Buffer.alloc(0) },
    thread0: { registers: { rip: IMAGE_BASE + 0x1300n, rsp: 0x30000n }, stack },
    memoryPages: 1,
    memory64Pages: 1,
  }).bytes;
}

const reader = (bytes: Buffer) => async (offset: number, length: number) => (offset + length <= bytes.length ? bytes.subarray(offset, offset + length) : null);

describe('Windows analysis pack: what goes in', () => {
  it('reads the module list back from the dump: path, base, SizeOfImage, TimeDateStamp', async () => {
    const image = parkedImage();
    const mods = await readDumpedModules(reader(miniDump('C:\\app\\app.exe', image)));
    expect(mods).toEqual([{ path: 'C:\\app\\app.exe', base: IMAGE_BASE, sizeOfImage: image.sizeOfImage, timeDateStamp: image.timeDateStamp }]);
    expect(await readDumpedModules(reader(Buffer.from('not a minidump at all, but long enough to read a header')))).toEqual([]);
  });

  it('packs headers, .pdata, every UNWIND_INFO (chained and indirect) and the exports, but no code', async () => {
    const image = parkedImage();
    const path = join(dir, 'app.exe');
    writeFileSync(path, image.file);
    const m: DumpedModule = { path, base: IMAGE_BASE, sizeOfImage: image.sizeOfImage, timeDateStamp: image.timeDateStamp };
    const built = await buildWin32Pack([m]);
    expect(built.modules).toBe(1);
    expect(built.skipped).toEqual([]);
    const [entry] = decodeAnalysisPack(built.bytes!);
    expect(entry).toMatchObject({ path, base: IMAGE_BASE, buildId: pePackIdentity(image.timeDateStamp, image.sizeOfImage), symbols: [] });
    const packed = (await peImageOfPackEntry(entry!, 'app.exe in the pack'))!;
    const fromFile = (await PeImage.open(async (rva, length) => image.image.subarray(rva, rva + length), 'app.exe'))!;
    expect(packed.headers).toEqual(fromFile.headers);
    // The header page as the loaded image holds it (headers, then zeros), which PeImage.open reads whole.
    expect(await packEntryReader(entry!)(0, 0x1000)).toEqual(image.image.subarray(0, 0x1000));
    for (const pc of [0x1000, 0x1210, 0x1290, 0x12d0]) {
      const f = (await fromFile.functionAt(pc))!;
      expect(await packed.functionAt(pc)).toEqual(f);
      expect(await readUnwindInfo(packed, f)).toEqual(await readUnwindInfo(fromFile, f));
    }
    expect([...(await packed.exports())]).toEqual([...(await fromFile.exports())]);
    expect((await packed.exports()).get(0x1000)).toBe('main');
    // Code is not needed to unwind by tables and is not in the pack.
    expect(await packEntryReader(entry!)(0x1000, 16)).toBeNull();
  });

  it('keeps an UNWIND_INFO that ends its section: the span is cut at the section end instead of dropped', async () => {
    const last = unwindInfo({ prolog: 4, codes: [[4, 2, 4]] });
    const image = buildSyntheticPe({
      functions: [
        { begin: 0x1000, end: 0x1100, unwind: unwindInfo({ prolog: 5, codes: [[5, 2, 3], [1, 0, 3]] }) },
        { begin: 0x1200, end: 0x1280, unwind: last },
      ],
    });
    // .rdata (section 1) ends right after the last UNWIND_INFO, in memory and in the file.
    const file = Buffer.from(image.file);
    const pe = file.readUInt32LE(0x3c);
    const rdata = pe + 24 + file.readUInt16LE(pe + 20) + 40;
    const end = image.unwindRvas[1]! + last.length - RDATA_RVA;
    file.writeUInt32LE(end, rdata + 8);
    file.writeUInt32LE(end, rdata + 16);
    const path = join(dir, 'tight.exe');
    writeFileSync(path, file);
    const built = await buildWin32Pack([{ path, base: IMAGE_BASE, sizeOfImage: image.sizeOfImage, timeDateStamp: image.timeDateStamp }]);
    expect(built.skipped).toEqual([]);
    const packed = (await peImageOfPackEntry(decodeAnalysisPack(built.bytes!)[0]!, 'tight.exe'))!;
    const f = (await packed.functionAt(0x1210))!;
    expect((await readUnwindInfo(packed, f)).info.codes).toHaveLength(1);
  });

  it('leaves out a file whose TimeDateStamp or SizeOfImage is not the loaded image, a missing file and a FIFO (without blocking on it)', async () => {
    const other = join(dir, 'other.exe');
    writeFileSync(other, parkedImage(0x11111111).file);
    const fifo = join(dir, 'fifo.exe');
    execFileSync('mkfifo', [fifo]);
    const image = parkedImage();
    const mods: DumpedModule[] = [other, fifo, join(dir, 'gone.exe'), dir].map((path) => ({ path, base: IMAGE_BASE, sizeOfImage: image.sizeOfImage, timeDateStamp: image.timeDateStamp }));
    const built = await buildWin32Pack(mods);
    expect(built.bytes).toBeNull();
    expect(built.skipped).toEqual([
      `${other}: the file there now is not the loaded image (TimeDateStamp or SizeOfImage differs).`,
      `${fifo}: not a regular file.`,
      `${join(dir, 'gone.exe')}: not read (ENOENT).`,
      `${dir}: not a regular file.`,
    ]);
  });

  it("packs a module only if its file's .pdata and export directory are the loaded image's, when the target's memory is given", async () => {
    const image = parkedImage();
    const path = join(dir, 'app.exe');
    writeFileSync(path, image.file);
    const m: DumpedModule = { path, base: IMAGE_BASE, sizeOfImage: image.sizeOfImage, timeDateStamp: image.timeDateStamp };
    const memoryOf = (loaded: Buffer) => (address: bigint, length: number) => {
      const at = Number(address - IMAGE_BASE);
      return at >= 0 && at + length <= loaded.length ? loaded.subarray(at, at + length) : null;
    };
    expect((await buildWin32Pack([m], { loadedBytes: memoryOf(image.image) })).modules).toBe(1);
    // Same TimeDateStamp and SizeOfImage, another build (its main is longer): its .pdata differs.
    const other = buildSyntheticPe({
      timeDateStamp: image.timeDateStamp,
      functions: [{ begin: 0x1000, end: 0x1180, unwind: unwindInfo({ prolog: 5, codes: [[5, 2, 3], [1, 0, 3]] }) }],
      exports: [{ name: 'main', rva: 0x1000 }, { name: 'worker_mid', rva: 0x1210 }],
    });
    const swapped = await buildWin32Pack([m], { loadedBytes: memoryOf(other.image) });
    expect(swapped.bytes).toBeNull();
    expect(swapped.skipped).toEqual([`${path}: left out: the file's .pdata is not the loaded image's.`]);
    const gone = await buildWin32Pack([m], { loadedBytes: () => null });
    expect(gone.skipped).toEqual([`${path}: left out: its loaded .pdata is not readable in the process, so the file cannot be compared with it.`]);
  });

  it('keeps the pack under its cap and names what it left out', async () => {
    const image = parkedImage();
    const paths = ['a.exe', 'b.exe'].map((n) => join(dir, n));
    for (const p of paths) writeFileSync(p, image.file);
    const mods = paths.map((path, i) => ({ path, base: IMAGE_BASE + BigInt(i) * 0x100000n, sizeOfImage: image.sizeOfImage, timeDateStamp: image.timeDateStamp }));
    const one = await buildWin32Pack(mods.slice(0, 1));
    const entryBytes = decodeAnalysisPack(one.bytes!)[0]!.regions.reduce((n, r) => n + r.bytes.length, 0);
    const capped = await buildWin32Pack(mods, { capBytes: entryBytes + 10 });
    expect(capped.modules).toBe(1);
    expect(capped.skipped).toEqual([`Left out to keep the pack under 0 MiB: ${paths[1]}.`]);
  });
});

describe('Windows analysis pack: the analysis uses it', () => {
  it('a mini dump with no module files unwinds by .pdata from its pack and names frames by exports, as with the file', async () => {
    const image = parkedImage();
    const modulePath = join(dir, 'bin', 'app.exe');
    mkdirSync(join(dir, 'bin'));
    writeFileSync(modulePath, image.file);
    const dump = join(dir, 'app.dmp');
    writeFileSync(dump, miniDump(modulePath, image));
    const built = await buildWin32Pack(await readDumpedModules(reader(readFileSync(dump))));
    writeFileSync(`${dump}.pack`, built.bytes!);
    // The file is gone: only the pack beside the dump can give the tables.
    rmSync(join(dir, 'bin'), { recursive: true });
    const frames = (i: Awaited<ReturnType<typeof openMinidumpAnalysisInput>>) => i.threads[0]!.frames.map((f) => [f.trust, f.moduleOffset, f.function]);
    const withPack = await openMinidumpAnalysisInput(dump, { localFiles: false });
    try {
      expect(frames(withPack)).toEqual([
        ['context', 0x1300n, null],
        ['cfi', 0x1240n, '<fn_1200>'],
        ['cfi', 0x1050n, 'main'],
      ]);
      expect(withPack.modules[0]).toMatchObject({ unwindSource: 'pack', symbolSource: 'pack' });
      expect(withPack.qualityNotes.some((n) => /came from the analysis pack written with the dump: app\.exe/.test(n))).toBe(true);
    } finally {
      await withPack.close();
    }
    // The same frames as with the file in a folder.
    mkdirSync(join(dir, 'symbols'));
    writeFileSync(join(dir, 'symbols', 'app.exe'), image.file);
    const withFile = await openMinidumpAnalysisInput(dump, { localFiles: false, packPath: false, symbolFolders: [join(dir, 'symbols')] });
    try {
      expect(withFile.modules[0]!.unwindSource).toBe('folder');
      expect(frames(withFile)).toEqual([
        ['context', 0x1300n, null],
        ['cfi', 0x1240n, '<fn_1200>'],
        ['cfi', 0x1050n, 'main'],
      ]);
    } finally {
      await withFile.close();
    }
    // Without the pack (--no-pack's dump) the walk falls back to scanning.
    const blind = await openMinidumpAnalysisInput(dump, { localFiles: false, packPath: false });
    try {
      expect(blind.threads[0]!.frames.map((f) => f.trust)).toEqual(['context', 'scan', 'scan']);
    } finally {
      await blind.close();
    }
  });

  it('refuses a pack entry with another TimeDateStamp+SizeOfImage, and ignores a damaged named pack with a note', async () => {
    const image = parkedImage();
    const modulePath = join(dir, 'app.exe');
    writeFileSync(modulePath, parkedImage(0x22222222).file);
    const dump = join(dir, 'app.dmp');
    writeFileSync(dump, miniDump(modulePath, image));
    // A pack built from another build of app.exe, relabelled with the dumped identity so only the headers differ.
    const other = decodeAnalysisPack((await buildWin32Pack([{ path: modulePath, base: IMAGE_BASE, sizeOfImage: image.sizeOfImage, timeDateStamp: 0x22222222 }])).bytes!);
    writeFileSync(`${dump}.pack`, encodeAnalysisPack([{ ...other[0]!, buildId: pePackIdentity(image.timeDateStamp, image.sizeOfImage) }]));
    const relabelled = await openMinidumpAnalysisInput(dump, { localFiles: false });
    try {
      expect(relabelled.modules[0]!.unwindSource).toBeNull();
      expect(relabelled.modules[0]!.notes[0]).toMatch(/analysis pack's entry for app\.exe was refused: its TimeDateStamp\+SizeOfImage 222222226000 is not the dumped module's 612345676000/);
    } finally {
      await relabelled.close();
    }
    writeFileSync(`${dump}.pack`, encodeAnalysisPack(other));
    const wrong = await openMinidumpAnalysisInput(dump, { localFiles: false });
    try {
      expect(wrong.modules[0]!.unwindSource).toBeNull();
      expect(wrong.modules[0]!.notes[0]).toMatch(/analysis pack's entry for app\.exe was refused: its TimeDateStamp\+SizeOfImage 222222226000 is not the dumped module's 612345676000/);
    } finally {
      await wrong.close();
    }
    const damaged = join(dir, 'damaged.pack');
    writeFileSync(damaged, 'PSCOPEPK garbage');
    const ignored = await openMinidumpAnalysisInput(dump, { localFiles: false, packPath: damaged });
    try {
      expect(ignored.qualityNotes[0]).toMatch(/analysis pack .*damaged\.pack was ignored/);
      expect(ignored.threads[0]!.frames.map((f) => f.trust)).toEqual(['context', 'scan', 'scan']);
    } finally {
      await ignored.close();
    }
  });
});

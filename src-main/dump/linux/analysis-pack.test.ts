// The analysis pack beside our Linux cores (issue 13): a mini core of the parked-threads fixture analysed as on a
// machine without the target's files (localFiles: false) unwinds with the pack exactly as with the local files —
// every frame by CFI, the same names — and without it falls back to scanning. The pack is created like the core
// (0600, exclusively: a link planted at its name is neither followed nor replaced), a cancelled dump leaves none,
// an entry whose build id is not the core's is refused with a note, and a damaged pack is ignored with a note.
// Sizes are printed for the C fixture and for a node process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, renameSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAnalysisPack, encodeAnalysisPack } from '../../analysis/modules/analysis-pack-format';
import { openElfAnalysisInput } from '../../analysis/elf/elf-analysis-input';
import { loadAnalysisPack } from '../../analysis/modules/analysis-pack-reader';
import { compileParkedThreadsSync, startParkedThreads, type ParkedProcess } from '../../analysis/unwind/__fixtures__/parked-threads';
import { readCoreStacks, type CoreStacks } from '../../analysis/unwind/core-stacks';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { createLinuxCoreWriter } from './linux-core-writer';

const frameKey = (s: CoreStacks): string[] =>
  s.stacks.flatMap((t) => t.frames.map((f, i) => `${t.tid}#${i} ${f.trust} ${f.module}+0x${(f.moduleOffset ?? 0n).toString(16)} ${f.function ?? '?'}+${f.functionOffset ?? '?'} sp=${f.sp.toString(16)}`));

async function stacksOf(path: string, options: Parameters<typeof readCoreStacks>[1]): Promise<string[]> {
  const s = await readCoreStacks(path, options);
  try {
    return frameKey(s);
  } finally {
    await s.close();
  }
}

describe('analysis pack beside a Linux core', () => {
  let dir: string;
  let exe: string;
  let target: ParkedProcess;
  let startTimeMs: number;
  let core: string;
  let pack: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'procscope-pack-'));
    exe = compileParkedThreadsSync(dir);
    target = await startParkedThreads(exe);
    startTimeMs = readProcessStartTimeMs(target.pid)!;
    const result = await createLinuxCoreWriter().write({ pid: target.pid, startTimeMs, kind: 'mini', outDir: dir });
    core = result.path;
    pack = result.analysisPackPath!;
    console.log(
      `parked-threads mini core: ${(result.fileBytes / 2 ** 20).toFixed(2)} MiB, pack ${(statSync(pack).size / 1024).toFixed(0)} KiB ` +
        `(${decodeAnalysisPack(readFileSync(pack)).length} modules), dump ${result.durationMs} ms, pause ${result.targetPauseMs} ms`,
    );
  });
  afterAll(() => {
    target?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is written beside the core, owner-only, holding the mapped modules with their build ids', () => {
    expect(pack).toBe(`${core}.pack`);
    const st = statSync(pack);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(process.geteuid!());
    const modules = decodeAnalysisPack(readFileSync(pack));
    const names = modules.map((m) => m.path.split('/').pop());
    expect(names).toEqual(expect.arrayContaining(['parked-threads', 'libc.so.6', 'ld-linux-x86-64.so.2']));
    for (const m of modules) {
      expect(m.buildId).toMatch(/^[0-9a-f]{40}$/);
      expect(m.regions.map((r) => r.kind).sort()).toEqual([1, 2]);
    }
    // Function symbols only: the fixture's parked functions are there, its data objects are not.
    const own = modules.find((m) => m.path.endsWith('/parked-threads'))!;
    expect(own.symbols.map((s) => s.name)).toEqual(expect.arrayContaining(['park_in_pause', 'lock_second_while_holding_first']));
    expect(own.symbols.map((s) => s.name)).not.toContain('first'); // the fixture's mutexes (STT_OBJECT)
  });

  it('unwinds the mini core without local files exactly as with them: every frame by CFI, the same names', async () => {
    const local = await stacksOf(core, {});
    const { pack: loaded, notes } = await loadAnalysisPack(pack, true);
    expect(notes).toEqual([]);
    const packed = await stacksOf(core, { localFiles: false, pack: loaded });
    const blind = await stacksOf(core, { localFiles: false });
    console.log(`frames: local files ${local.length}, pack ${packed.length}, neither ${blind.length} (${blind.filter((f) => / scan /.test(f)).length} scanned)`);
    expect(packed).toEqual(local);
    expect(local.every((f) => / (context|cfi) /.test(f))).toBe(true);
    expect(packed.join('\n')).toMatch(/lock_second_while_holding_first/);
    expect(blind.some((f) => / scan /.test(f))).toBe(true);
    expect(blind).not.toEqual(local);
  });

  it('is found beside the core by the analysis input, which says where the tables came from', async () => {
    const input = await openElfAnalysisInput(core, { localFiles: false });
    try {
      const own = input.modules.find((m) => m.name === 'parked-threads')!;
      expect([own.unwindSource, own.symbolSource]).toEqual(['pack', 'pack']);
      expect(input.qualityNotes.join('\n')).toMatch(/came from the analysis pack/);
      expect(input.threads.flatMap((t) => t.frames).every((f) => f.trust === 'context' || f.trust === 'cfi')).toBe(true);
    } finally {
      await input.close();
    }
    const none = await openElfAnalysisInput(core, { localFiles: false, packPath: false });
    try {
      expect(none.modules.find((m) => m.name === 'parked-threads')!.unwindSource).toBeNull();
    } finally {
      await none.close();
    }
  });

  it("refuses an entry whose build id is not the core's, with a note, and uses the others", async () => {
    const modules = decodeAnalysisPack(readFileSync(pack));
    const libc = modules.find((m) => m.path.endsWith('/libc.so.6'))!;
    libc.buildId = libc.buildId.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const forged = join(dir, 'forged.pack');
    writeFileSync(forged, encodeAnalysisPack(modules));
    try {
      const input = await openElfAnalysisInput(core, { localFiles: false, packPath: forged });
      try {
        const m = input.modules.find((x) => x.name === 'libc.so.6')!;
        expect(m.unwindSource).toBeNull();
        expect(m.notes.join('\n')).toMatch(/analysis pack's entry for libc\.so\.6 was refused: its build id [0-9a-f]+ is not the dumped module's/);
        expect(input.modules.find((x) => x.name === 'parked-threads')!.unwindSource).toBe('pack');
      } finally {
        await input.close();
      }
    } finally {
      rmSync(forged, { force: true });
    }
  });

  it('ignores a damaged pack with one note and analyses as without it', async () => {
    const bytes = readFileSync(pack);
    const damaged = join(dir, 'damaged.pack');
    const cases: [string, Buffer][] = [
      ['truncated', bytes.subarray(0, bytes.length >> 1)],
      ['flipped', Buffer.from(bytes.map((b, i) => (i === bytes.length - 9 ? b ^ 0x40 : b)))],
      ['not a pack', Buffer.from('hello')],
    ];
    try {
      for (const [what, content] of cases) {
        writeFileSync(damaged, content);
        const input = await openElfAnalysisInput(core, { localFiles: false, packPath: damaged });
        try {
          expect(input.qualityNotes.filter((n) => n.includes('damaged.pack was ignored')), what).toHaveLength(1);
          expect(input.modules.every((m) => m.unwindSource !== 'pack'), what).toBe(true);
        } finally {
          await input.close();
        }
      }
      const missing = await openElfAnalysisInput(core, { localFiles: false, packPath: join(dir, 'missing.pack') });
      await missing.close();
      expect(missing.qualityNotes.join('\n')).toMatch(/missing\.pack was not read \(ENOENT\)/);
    } finally {
      rmSync(damaged, { force: true });
    }
  });

  it('never follows or replaces a link planted at the pack\'s name: the core is written, the pack is not', async () => {
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'keep me\n', { mode: 0o600 });
    const out = mkdtempSync(join(dir, 'planted-'));
    let planted = '';
    const result = await createLinuxCoreWriter().write(
      { pid: target.pid, startTimeMs, kind: 'mini', outDir: out },
      {
        onProgress: (p) => {
          if (p.phase !== 'writing' || planted) return;
          planted = join(out, `${readdirSync(out)[0]!}.pack`);
          symlinkSync(victim, planted);
        },
      },
    );
    expect(result.analysisPackPath).toBeUndefined();
    expect(planted).toBe(`${result.path}.pack`);
    expect(lstatSync(planted).isSymbolicLink()).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('keep me\n');
    expect(readdirSync(out).sort()).toEqual([result.path.slice(out.length + 1), planted.slice(out.length + 1)].sort());
  });

  it('packs no file that is not the mapped one: a FIFO or a copy put at the module\'s path is left out, without blocking', async () => {
    const moved = `${exe}.mapped`;
    for (const plant of ['fifo', 'copy'] as const) {
      const out = mkdtempSync(join(dir, `swap-${plant}-`));
      try {
        const started = performance.now();
        const result = await createLinuxCoreWriter().write(
          { pid: target.pid, startTimeMs, kind: 'mini', outDir: out },
          {
            onProgress: (p) => {
              if (p.phase !== 'finishing' || existsSync(moved)) return;
              renameSync(exe, moved); // the running program keeps its inode; its path now names something else
              if (plant === 'fifo') spawnSync('mkfifo', [exe]);
              else copyFileSync(moved, exe); // same bytes and build id, another inode
            },
          },
        );
        const paths = decodeAnalysisPack(readFileSync(result.analysisPackPath!)).map((m) => m.path);
        expect(paths, plant).not.toContain(exe);
        expect(paths.some((p) => p.endsWith('/libc.so.6')), plant).toBe(true);
        expect(performance.now() - started, plant).toBeLessThan(10_000);
      } finally {
        rmSync(exe, { force: true });
        if (existsSync(moved)) renameSync(moved, exe);
      }
    }
  });

  it('a cancel once the pack is due leaves the saved, hashed core and no pack (the pack follows the file and its hash: issue 15)', async () => {
    const out = mkdtempSync(join(dir, 'cancel-'));
    const abort = new AbortController();
    const result = await createLinuxCoreWriter().write(
      { pid: target.pid, startTimeMs, kind: 'mini', outDir: out },
      // Right after the hash, where the pack begins.
      { signal: abort.signal, onHashDone: () => abort.abort() },
    );
    expect(result.analysisPackPath).toBeUndefined();
    expect(result.hash).toBe('done');
    expect(readdirSync(out)).toEqual([result.path.slice(out.length + 1)]);
  });

  it('writes none with analysisPack: false', async () => {
    const out = mkdtempSync(join(dir, 'nopack-'));
    const result = await createLinuxCoreWriter().write({ pid: target.pid, startTimeMs, kind: 'mini', outDir: out }, { analysisPack: false });
    expect(result.analysisPackPath).toBeUndefined();
    expect(readdirSync(out)).toEqual([result.path.slice(out.length + 1)]);
  });
});

describe('analysis pack of a node process', () => {
  let dir: string;
  let child: ChildProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'procscope-pack-node-'));
    child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); console.log("up")'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  });
  afterAll(() => {
    child?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stays a few MB and unwinds node without its local files as with them', async () => {
    const started = performance.now();
    const result = await createLinuxCoreWriter().write({ pid: child.pid!, startTimeMs: readProcessStartTimeMs(child.pid!)!, kind: 'mini', outDir: dir });
    const bytes = statSync(result.analysisPackPath!).size;
    const modules = decodeAnalysisPack(readFileSync(result.analysisPackPath!));
    const node = modules.find((m) => m.path === process.execPath)!;
    console.log(
      `node mini core: ${(result.fileBytes / 2 ** 20).toFixed(1)} MiB; pack ${(bytes / 2 ** 20).toFixed(2)} MiB for ${modules.length} modules ` +
        `(node: ${node.symbols.length} function symbols, ${(node.regions.reduce((n, r) => n + r.bytes.length, 0) / 2 ** 20).toFixed(1)} MiB of tables); ` +
        `dump with pack ${(performance.now() - started).toFixed(0)} ms, pause ${result.targetPauseMs} ms`,
    );
    expect(bytes).toBeLessThan(4 * 2 ** 20);
    const local = await stacksOf(result.path, {});
    const { pack } = await loadAnalysisPack(result.analysisPackPath!, true);
    expect(await stacksOf(result.path, { localFiles: false, pack })).toEqual(local);
  }, 30_000);
});

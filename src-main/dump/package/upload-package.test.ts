import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zstdDecompressSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DUMP_SECRETS_WARNING } from '../../../src-shared/model/dump';
import type { UploadPackageManifest, UploadPackageSource } from '../../../src-shared/model/upload-package';
import { prepareUploadPackage, UploadPackageError } from './upload-package';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** An ELF-magic file with runs of zeros and random pages, as a core has: compressible but not trivially. */
function fakeCore(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  b.set([0x7f, 0x45, 0x4c, 0x46], 0);
  for (let off = 4096; off + 4096 <= bytes; off += 4096 * 4) randomBytes(4096).copy(b, off);
  return b;
}

const SOURCE: UploadPackageSource = { processName: 'svc', pid: 4242, startTimeMs: Date.UTC(2026, 0, 2, 3, 4, 5), kind: 'full', mode: 'live', pauseMs: 12, sha256: null };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'procscope-pack-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectRefused(p: Promise<unknown>, code: string, text: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UploadPackageError);
  expect((err as UploadPackageError).code).toBe(code);
  expect((err as Error).message).toMatch(text);
}

describe('prepareUploadPackage', () => {
  it('writes a .zst that decompresses to the same bytes, and a manifest with every field right', async () => {
    const core = fakeCore(3 * 2 ** 20 + 123);
    const path = join(dir, 'svc_4242_20260102_030405_full.core');
    await writeFile(path, core, { mode: 0o600 });
    const seen: number[] = [];
    const r = await prepareUploadPackage(path, { ...SOURCE, sha256: sha(core) }, { onProgress: (p) => seen.push(p.bytesRead) });

    expect(r.zstPath).toBe(`${path}.zst`);
    expect(r.manifestPath).toBe(`${path}.manifest.json`);
    expect(r.packZstPath).toBeNull();
    const zst = await readFile(r.zstPath);
    expect(zst.length).toBeLessThan(core.length / 2);
    const back = zstdDecompressSync(zst);
    expect(sha(back)).toBe(sha(core));
    expect(back.equals(core)).toBe(true);
    // The original stays, unchanged.
    expect(sha(await readFile(path))).toBe(sha(core));

    const m = JSON.parse(await readFile(r.manifestPath, 'utf8')) as UploadPackageManifest;
    expect(m).toEqual(r.manifest);
    expect(m.format).toBe('procscope-upload-package/1');
    expect(m.tool).toMatch(/^procscope \d+\.\d+\.\d+/);
    expect(Date.parse(m.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(m.process).toEqual({ name: 'svc', pid: 4242, startTime: '2026-01-02T03:04:05.000Z' });
    expect(m.dump).toEqual({ file: 'svc_4242_20260102_030405_full.core', format: 'elf-core', kind: 'full', mode: 'live', pauseMs: 12, bytes: core.length, sha256: sha(core) });
    expect(m.compressed).toEqual({ file: 'svc_4242_20260102_030405_full.core.zst', compression: 'zstd', level: 3, bytes: zst.length, sha256: sha(zst) });
    expect(m.analysisPack).toBeNull();
    expect(m.warning).toBe(DUMP_SECRETS_WARNING);

    for (const out of [r.zstPath, r.manifestPath]) expect((await stat(out)).mode & 0o777).toBe(0o600);
    expect(seen.at(-1)).toBe(core.length);
  });

  it('includes the analysis pack as its own .zst and says so in the manifest', async () => {
    const path = join(dir, 'app.dmp');
    const dmp = Buffer.concat([Buffer.from('MDMP'), Buffer.alloc(100_000, 7)]);
    const pack = Buffer.concat([Buffer.from('PSPACK'), randomBytes(5000), Buffer.alloc(50_000)]);
    await writeFile(path, dmp);
    await writeFile(`${path}.pack`, pack);
    const r = await prepareUploadPackage(path, { ...SOURCE, kind: 'mini', mode: 'snapshot' }, { level: 1 });
    expect(r.packZstPath).toBe(`${path}.pack.zst`);
    const packZst = await readFile(r.packZstPath!);
    expect(zstdDecompressSync(packZst).equals(pack)).toBe(true);
    expect(r.manifest.dump.format).toBe('minidump');
    expect(r.manifest.compressed.level).toBe(1);
    expect(r.manifest.analysisPack).toEqual({
      file: 'app.dmp.pack',
      bytes: pack.length,
      sha256: sha(pack),
      compressed: { file: 'app.dmp.pack.zst', bytes: packZst.length, sha256: sha(packZst) },
    });
  });

  it('a cancel mid-way leaves no output and the dump in place', async () => {
    const path = join(dir, 'big.core');
    const core = fakeCore(24 * 2 ** 20);
    await writeFile(path, core);
    await writeFile(`${path}.pack`, Buffer.alloc(10_000));
    const abort = new AbortController();
    let reads = 0;
    await expectRefused(
      prepareUploadPackage(path, SOURCE, {
        signal: abort.signal,
        onProgress: () => {
          if (++reads === 1) abort.abort(); // the first report: progress is throttled to 100 ms, and a fast machine packs 24 MiB sooner
        },
      }),
      'cancelled',
      /cancelled; its partial files were removed/,
    );
    expect(reads).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(['big.core', 'big.core.pack']);
    expect(sha(await readFile(path))).toBe(sha(core));
  });

  it('refuses a non-dump, a link, a relative path and a folder with one sentence, writing nothing', async () => {
    const text = join(dir, 'notes.txt');
    await writeFile(text, 'hello, not a dump');
    const real = join(dir, 'real.core');
    await writeFile(real, fakeCore(8192));
    const link = join(dir, 'link.core');
    await symlink(real, link);
    const folder = join(dir, 'folder.core');
    await mkdir(folder);
    const before = (await readdir(dir)).sort();

    await expectRefused(prepareUploadPackage(text, SOURCE), 'bad-input', /is not a dump: it starts with neither an ELF header/);
    await expectRefused(prepareUploadPackage(link, SOURCE), 'bad-input', /is reached through a link/);
    await expectRefused(prepareUploadPackage('real.core', SOURCE), 'bad-input', /absolute path \('real.core' is relative\)/);
    await expectRefused(prepareUploadPackage(folder, SOURCE), 'bad-input', /is a folder, not a dump file/);
    await expectRefused(prepareUploadPackage(join(dir, 'missing.core'), SOURCE), 'bad-input', /does not exist/);

    expect((await readdir(dir)).sort()).toEqual(before);
  });

  it('never replaces an existing output nor follows a link planted at its name', async () => {
    const path = join(dir, 'svc.core');
    await writeFile(path, fakeCore(65536));
    await writeFile(`${path}.zst`, 'earlier package');
    await expectRefused(prepareUploadPackage(path, SOURCE), 'file-exists', /svc\.core\.zst already exists; move or delete it first/);
    expect(await readFile(`${path}.zst`, 'utf8')).toBe('earlier package');
    expect((await readdir(dir)).sort()).toEqual(['svc.core', 'svc.core.zst']);

    // The manifest's name taken by a link to a file elsewhere: refused, the target untouched, the .zst made by
    // this run removed again.
    await rm(`${path}.zst`);
    const victim = join(dir, 'victim.txt');
    await writeFile(victim, 'keep me');
    await symlink(victim, `${path}.manifest.json`);
    await expectRefused(prepareUploadPackage(path, SOURCE), 'file-exists', /manifest\.json already exists/);
    expect(await readFile(victim, 'utf8')).toBe('keep me');
    expect((await readdir(dir)).sort()).toEqual(['svc.core', 'svc.core.manifest.json', 'victim.txt']);
  });

  it('refuses a dump whose bytes no longer match the job\'s SHA-256, leaving nothing', async () => {
    const path = join(dir, 'svc.core');
    await writeFile(path, fakeCore(65536));
    await expectRefused(prepareUploadPackage(path, { ...SOURCE, sha256: 'ab'.repeat(32) }), 'changed', /no longer the dump that was written/);
    expect(await readdir(dir)).toEqual(['svc.core']);
  });

  it('refuses a zstd level out of range', async () => {
    const path = join(dir, 'svc.core');
    await writeFile(path, fakeCore(8192));
    await expectRefused(prepareUploadPackage(path, SOURCE, { level: 0 }), 'bad-input', /level 0 is out of range/);
    expect(await readdir(dir)).toEqual(['svc.core']);
  });
});

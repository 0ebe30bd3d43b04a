/*
 * Windows side of the upload package check under Wine: `prepareUploadPackage` (the code the app's "Prepare for
 * upload" and `procscope pack` run) on an MDMP-magic file and its analysis pack in a folder of the caller's, then the
 * DACL of every output, read back with GetFileSecurityW. The package holds the same secrets as the dump, so each
 * file must be private to its user from the moment it exists (created with that DACL, not inheriting the folder's,
 * which under Wine is Everyone-readable for a file of mode 0644). Prints one JSON report for scripts/test-win.mjs;
 * asserts nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zstdDecompressSync } from 'node:zlib';
import { prepareUploadPackage } from '../../../src-main/dump/package/upload-package';
import { readFileDaclSddl, readTokenUserSid } from '../../../src-main/platform/win32/ffi/advapi32';
import { currentProcess } from '../../../src-main/platform/win32/ffi/kernel32';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function main(): Promise<void> {
  const [parent] = process.argv.slice(2) as [string];
  const dir = mkdtempSync(join(parent, 'procscope-upload-'));
  try {
    const dump = Buffer.alloc(2 ** 20);
    dump.write('MDMP', 0, 'latin1');
    for (let off = 4096; off + 4096 <= dump.length; off += 4096 * 4) randomBytes(4096).copy(dump, off);
    const path = join(dir, 'svc_4242_20260102_030405_full.dmp');
    writeFileSync(path, dump);
    writeFileSync(`${path}.pack`, randomBytes(64 * 1024));
    const r = await prepareUploadPackage(path, { processName: 'svc', pid: 4242, startTimeMs: null, kind: 'full', mode: 'live', pauseMs: 1, sha256: sha(dump) });
    const outputs = [r.zstPath, r.packZstPath, r.manifestPath].filter((p): p is string => p !== null);
    const zstBefore = sha(readFileSync(r.zstPath));
    // Again on the same dump: its names are taken, so it is refused, and the first package is left as it was.
    const again = await prepareUploadPackage(path, { processName: 'svc', pid: 4242, startTimeMs: null, kind: 'full', mode: 'live', pauseMs: 1, sha256: null }).then(
      () => ({ code: 'none', message: '' }),
      (e: unknown) => ({ code: (e as { code?: string }).code ?? 'thrown', message: (e as Error).message }),
    );
    process.stdout.write(
      JSON.stringify({
        ownSid: readTokenUserSid(currentProcess()),
        folderDacl: readFileDaclSddl(dir),
        outputs: outputs.map((p) => ({ file: p.slice(dir.length + 1), dacl: readFileDaclSddl(p) })),
        sameBytes: sha(zstdDecompressSync(readFileSync(r.zstPath))) === sha(dump),
        manifestWarning: typeof JSON.parse(readFileSync(r.manifestPath, 'utf8')).warning === 'string',
        again: { ...again, firstIntact: sha(readFileSync(r.zstPath)) === zstBefore, files: readdirSync(dir).length },
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

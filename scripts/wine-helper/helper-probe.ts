/*
 * Windows side of the elevated-helper check (runs under Wine, where "runas" starts without a prompt): the app's
 * helper DumpWriter starts the bundled `procscope helper` through the real runas Elevator; the helper proves the
 * secret on a named pipe, re-validates and writes a minidump with the real Windows writer. Also tries the
 * refusals (relative path, junction, wrong start time, a folder another account owns: argv[3], and one of ours below
 * a folder every account may change: argv[4], both made by the Linux side, which can chown and chmod). Prints one
 * JSON report; scripts/test-win-helper.mjs judges.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DumpError } from '../../src-main/dump/dump-writer';
import { readFileDaclSddl, readFileOwnerSid, readTokenUserSid } from '../../src-main/platform/win32/ffi/advapi32';
import { currentProcess } from '../../src-main/platform/win32/ffi/kernel32';
import { createHelperDumpWriter } from '../../src-main/dump/helper/helper-dump-writer';
import { createRunasElevator } from '../../src-main/dump/win32/runas-elevator';
import { createWin32Backend } from '../../src-main/platform/win32/win32-backend';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const helperEntry = process.argv[2]!;
  const foreignDir = process.argv[3]!;
  const belowOpenDir = process.argv[4]!;
  const ownSid = readTokenUserSid(currentProcess());
  const target = spawn(process.execPath, ['--max-old-space-size=16', '--jitless', '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await sleep(1500);
  const backend = await createWin32Backend();
  const startTimeMs = backend.readStartTimeMs(target.pid!)!;
  const writer = createHelperDumpWriter({
    elevator: createRunasElevator(),
    command: { executable: process.execPath, args: [helperEntry] },
    uid: null,
    format: 'minidump',
    platform: 'win32',
  });
  const attempt = async (outDir: string, start = startTimeMs) => {
    let progress = 0;
    try {
      const r = await writer.write({ pid: target.pid!, startTimeMs: start, kind: 'mini', outDir }, { onProgress: () => progress++, nameHint: 'node' });
      const dacl = readFileDaclSddl(r.path);
      const packDacl = r.analysisPackPath ? readFileDaclSddl(r.analysisPackPath) : null;
      return { ok: true, path: r.path, fileBytes: r.fileBytes, sizeOnDisk: statSync(r.path).size, format: r.format, progress, files: readdirSync(outDir), dacl, analysisPackPath: r.analysisPackPath ?? null, packDacl };
    } catch (err) {
      const e = err instanceof DumpError ? { code: err.code, message: err.message } : { code: 'unexpected', message: String(err) };
      return { ok: false, ...e, progress, files: safeList(outDir) };
    }
  };
  const report: Record<string, unknown> = {};
  try {
    report['valid'] = await attempt(mkdtempSync(join(tmpdir(), 'ph-valid-')));
    report['wrongStart'] = await attempt(mkdtempSync(join(tmpdir(), 'ph-start-')), startTimeMs + 5000);
    report['relative'] = await attempt('dumps');
    report['foreign'] = { ...(await attempt(foreignDir)), owner: readFileOwnerSid(foreignDir), ownSid };
    report['openParent'] = { ...(await attempt(belowOpenDir)), parentDacl: readFileDaclSddl(dirname(belowOpenDir)) };
    report['ownSid'] = ownSid;
    const real = mkdtempSync(join(tmpdir(), 'ph-real-'));
    const junction = `${real}-junction`;
    try {
      symlinkSync(real, junction, 'junction');
      report['junction'] = { ...(await attempt(junction)), realFiles: readdirSync(real) };
    } catch (err) {
      // Wine 8 cannot create junctions (ENOTSUP); real Windows can.
      report['junction'] = { unsupported: String(err instanceof Error ? err.message : err).slice(0, 200) };
    }
  } finally {
    target.kill();
    backend.dispose();
  }
  process.stdout.write(JSON.stringify(report));
}

function safeList(dir: string): string[] | null {
  try {
    return readdirSync(dir);
  } catch {
    return null;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err));
  process.exitCode = 1;
});

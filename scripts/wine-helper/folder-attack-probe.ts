/*
 * Windows side of the attacks on the elevated helper's folder (runs under Wine, in one process, with the helper's
 * own pieces in the helper's order: validateHelperJob, then the minidump writer given the folder it opened):
 * - swap: after the check, the requester renames their folder away and puts a link to another account's folder
 *   in its place (the Linux side does it when told, with a unix symlink, which Wine follows as Windows follows a
 *   junction); the dump must land in the folder that was checked, not there;
 * - same second: the first names of this second and the next few are taken; the dump takes the next free name and
 *   replaces none; the analysis pack's name of the first is taken by a file: it gets no pack, the file is untouched;
 * - pack link: the pack's name of a dump is a link to a file in the foreign folder: no pack, the target untouched;
 * - cancel: a dump cancelled mid-way leaves no file, removed through its handle.
 * argv: [2] our folder for the swap, [3] the foreign folder, [4] a folder of ours for the name and cancel cases,
 * [5] where the probe and the Linux side leave each other the files 'checked' and 'swapped'. Prints one JSON
 * report; scripts/test-win-helper.mjs judges.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { DumpError, type DumpWriteOptions } from '../../src-main/dump/dump-writer';
import { validateHelperJob } from '../../src-main/dump/helper/helper-validate';
import { readWin32HelperFacts } from '../../src-main/dump/win32/helper-requester';
import { createWin32MinidumpWriter } from '../../src-main/dump/win32/win32-minidump-writer';
import { readTokenUserSid } from '../../src-main/platform/win32/ffi/advapi32';
import { currentProcess } from '../../src-main/platform/win32/ffi/kernel32';
import { createWin32Backend } from '../../src-main/platform/win32/win32-backend';
import { dumpFileName } from '../../src-shared/model/dump';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const list = (dir: string): string[] | string => {
  try {
    return readdirSync(dir);
  } catch (err) {
    return String(err);
  }
};

async function main(): Promise<void> {
  const [mine, foreign, names, flags] = process.argv.slice(2) as [string, string, string, string];
  const ownSid = readTokenUserSid(currentProcess())!;
  // In one process the requester is ourselves (the real helper reads its parent's token).
  const facts = { ...readWin32HelperFacts(), requesterSid: ownSid };
  const target = spawn(process.execPath, ['--max-old-space-size=16', '--jitless', '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await sleep(1500);
  const backend = await createWin32Backend();
  const pid = target.pid!;
  const startTimeMs = backend.readStartTimeMs(pid)!;
  const writer = createWin32MinidumpWriter();
  /** The helper's order: check (which opens the folder), then write into what the check opened, then close it. */
  const helperDump = async (outDir: string, between: () => Promise<void> = async () => {}, options: DumpWriteOptions = {}, kind: 'mini' | 'full' = 'mini') => {
    const job = { pid, startTimeMs, kind, outDir, uid: null, nameHint: 'node', channel: '', secret: '' };
    const checked = await validateHelperJob(job, { readStartTimeMs: (p) => backend.readStartTimeMs(p), platform: 'win32', env: {}, ownUid: null, win32: facts });
    if (!checked.ok) return { ok: false, code: checked.error.code, message: checked.error.message };
    try {
      await between();
      const folder = checked.folder ?? undefined;
      const r = await writer.write({ pid, startTimeMs, kind, outDir }, { nameHint: 'node', readerSid: ownSid, ...options, ...(folder ? { folder } : {}) });
      return { ok: true, path: r.path, fileBytes: r.fileBytes, sha256: r.sha256, analysisPackPath: r.analysisPackPath ?? null };
    } catch (err) {
      return { ok: false, code: err instanceof DumpError ? err.code : 'unexpected', message: String(err instanceof Error ? err.message : err) };
    } finally {
      if (checked.folder?.platform === 'win32') checked.folder.handle.close();
    }
  };
  const report: Record<string, unknown> = {};
  try {
    const moved = `${mine}-moved`;
    const swap = await helperDump(mine, async () => {
      writeFileSync(`${flags}\\checked`, '');
      for (let i = 0; i < 300 && !existsSync(`${flags}\\swapped`); i++) await sleep(100);
    });
    report['swap'] = { ...swap, inForeign: list(foreign), inChecked: list(moved), swapped: existsSync(`${flags}\\swapped`) };

    // Every name of this second and the next four is taken by a file of ours with one byte in it.
    const now = Date.now();
    const taken: string[] = [];
    for (let s = 0; s < 5; s++) {
      const name = dumpFileName('node', pid, 'mini', 'dmp', new Date(now + s * 1000));
      writeFileSync(`${names}\\${name}`, 'x');
      taken.push(name);
    }
    // The analysis packs of the names the next dump may take (attempt 2 of these seconds) are taken by files of ours.
    const planted: string[] = [];
    for (let s = 0; s < 5; s++) {
      const file = `${dumpFileName('node', pid, 'mini', 'dmp', new Date(now + s * 1000), 2)}.pack`;
      writeFileSync(`${names}\\${file}`, 'x');
      planted.push(file);
    }
    const first = await helperDump(names);
    const second = await helperDump(names);
    const plantedIntact = planted.every((n) => readFileSync(`${names}\\${n}`, 'utf8') === 'x');
    report['sameSecond'] = {
      first,
      second,
      taken,
      planted,
      plantedIntact,
      takenIntact: taken.every((n) => statSync(`${names}\\${n}`).size === 1),
      files: list(names),
    };

    // In a folder of its own, the pack names of the next 20 seconds' dumps are links to a file in the foreign
    // folder. Windows node's symlinkSync under Wine says it made one and makes nothing, so the Linux side plants
    // unix symlinks (which Wine follows) when told the names.
    const linkDir = `${names}\\links`;
    mkdirSync(linkDir);
    const linkTarget = `${foreign}\\pack-target`;
    writeFileSync(linkTarget, 'y');
    const linkNow = Date.now();
    const links = Array.from({ length: 20 }, (_, s) => `${dumpFileName('node', pid, 'mini', 'dmp', new Date(linkNow + s * 1000))}.pack`);
    writeFileSync(`${flags}\\plant.json`, JSON.stringify({ links, target: 'pack-target' }));
    for (let i = 0; i < 300 && !existsSync(`${flags}\\planted`); i++) await sleep(100);
    const resolving = links.filter((n) => existsSync(`${linkDir}\\${n}`) && readFileSync(`${linkDir}\\${n}`, 'utf8') === 'y').length;
    const linked = await helperDump(linkDir);
    const inLinkDir = list(linkDir);
    report['packLink'] = {
      dump: linked,
      links: links.length,
      resolving,
      linkTargetIntact: readFileSync(linkTarget, 'utf8') === 'y',
      dumps: Array.isArray(inLinkDir) ? inLinkDir.filter((f) => f.endsWith('.dmp')) : inLinkDir,
    };

    const cancelDir = `${names}\\cancel`;
    mkdirSync(cancelDir);
    const abort = new AbortController();
    let started = false;
    const cancelled = await helperDump(cancelDir, async () => {}, {
      signal: abort.signal,
      onProgress: (p) => {
        if (p.phase === 'writing' && !started) {
          started = true;
          abort.abort();
        }
      },
    }, 'full');
    // Where dbghelp cannot be interrupted (Wine) the call finishes in the background and its file goes then. Wine
    // reads memory 1 KiB at a time (about 5.6 MB/s), so on a fresh prefix under load that full dump took over the
    // 20 s this loop first allowed: wait for the call as long as the probe may run, and stop as soon as it is gone.
    let left = list(cancelDir);
    for (const until = Date.now() + 150_000; Date.now() < until && Array.isArray(left) && left.length > 0; ) {
      await sleep(200);
      left = list(cancelDir);
    }
    report['cancel'] = { ...cancelled, sawWriting: started, left };
  } finally {
    target.kill();
    backend.dispose();
  }
  process.stdout.write(JSON.stringify(report));
}

main().catch((err: unknown) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err));
  process.exitCode = 1;
});

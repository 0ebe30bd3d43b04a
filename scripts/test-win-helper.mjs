#!/usr/bin/env node
// `node scripts/test-win-helper.mjs`: the elevated dump helper on Windows, under Wine. Bundles the probe
// (scripts/wine-helper) and the production `procscope helper` entry, runs the probe with the Windows node.exe,
// and judges its report: a minidump written through runas + named pipe and readable by its requester, and five
// refusals that leave no file.
// Reuses the Windows runtime of scripts/wine/wine-env.mjs. scripts/test-win.mjs runs it as part of the Windows suite
// through runHelperSuite(); run on its own, it exits non-zero on any failure.
import { chmodSync, chownSync, existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { build } from 'rolldown';
import { appDir, ensureWinRuntime, prefixDir, runWine, winPath } from './wine/wine-env.mjs';

/** check(ok, name, detail) records one test; skip(name, reason) one skip with its reason. */
export async function runHelperSuite(check, skip) {
  const outDir = join(appDir, 'helper-probe');
  await build({
    input: {
      'helper-probe': join(import.meta.dirname, 'wine-helper', 'helper-probe.ts'),
      'folder-attack-probe': join(import.meta.dirname, 'wine-helper', 'folder-attack-probe.ts'),
      'helper-entry': join(import.meta.dirname, '..', 'src-main', 'dump', 'helper', '__fixtures__', 'helper-entry.ts'),
    },
    platform: 'node',
    external: ['koffi'],
    logLevel: 'warn',
    output: { dir: outDir, format: 'cjs', entryFileNames: '[name].js' },
  });
  // A folder of another account: Wine reports a folder of another unix user as owned by S-1-5-7 (Anonymous).
  const foreign = join(outDir, 'foreign-owner');
  rmSync(foreign, { recursive: true, force: true });
  mkdirSync(foreign);
  chownSync(foreign, 65534, 65534);
  // A folder of our own below one every account may change: Wine reports mode 0777 as Everyone with Modify rights.
  // It lives on drive C: so that no ancestor of this checkout (/tmp, say) is what gets it refused. The prefix must
  // exist before a folder is added to it: a fresh machine creates it at its first Wine run.
  if (!existsSync(join(prefixDir, 'system.reg'))) await runWine('-e', ['0']);
  const user = userInfo().username;
  const openParent = join(prefixDir, 'drive_c', 'users', user, 'Temp', 'procscope-open-parent');
  const openParentWin = `C:\\users\\${user}\\Temp\\procscope-open-parent`;
  rmSync(openParent, { recursive: true, force: true });
  mkdirSync(join(openParent, 'mine'), { recursive: true });
  chmodSync(openParent, 0o777);
  const run = await runWine(
    join(outDir, 'helper-probe.js'),
    [winPath(join(outDir, 'helper-entry.js')), winPath(foreign), `${openParentWin}\\mine`],
    { timeoutMs: 240_000 },
  );
  if (run.code !== 0) {
    check(false, 'helper probe ran', `exit ${run.code}: ${run.stderr.slice(0, 1500)}`);
  } else {
    const r = JSON.parse(run.stdout);
    check(r.valid.ok && r.valid.format === 'minidump' && r.valid.fileBytes > 0 && r.valid.files.length === 1, 'helper via runas + named pipe writes a minidump', JSON.stringify(r.valid));
    check(typeof r.valid.dacl === 'string' && r.valid.dacl.includes(`;;;${r.ownSid})`), 'the helper\'s dump is readable by the user who started it (the parent\'s SID in its DACL)', r.valid.dacl);
    check(
      !r.foreign.ok && r.foreign.code === 'bad-request' && /does not belong to you/.test(r.foreign.message) && r.foreign.files?.length === 0 && r.foreign.owner !== r.ownSid,
      'a folder another account owns is refused, no file',
      `${r.foreign.message} (owner ${r.foreign.owner}, requester ${r.ownSid})`,
    );
    check(
      !r.openParent.ok &&
        r.openParent.code === 'bad-request' &&
        r.openParent.message.startsWith(`The folder '${openParentWin}' can be changed by another user`) &&
        r.openParent.files?.length === 0,
      'a folder of our own below one every account may change is refused, no file',
      `${r.openParent.message} (DACL of the parent ${r.openParent.parentDacl})`,
    );
    check(!r.wrongStart.ok && r.wrongStart.code === 'pid-recycled' && r.wrongStart.files.length === 0, 'wrong start time refused, no file', JSON.stringify(r.wrongStart));
    check(!r.relative.ok && r.relative.code === 'bad-request' && /absolute folder path/.test(r.relative.message), 'relative folder refused', r.relative.message);
    if (r.junction.unsupported) skip('junction refused', `Wine cannot create a junction: ${r.junction.unsupported}`);
    else check(!r.junction.ok && /symbolic link or junction/.test(r.junction.message) && r.junction.realFiles.length === 0, 'junction refused, no file', r.junction.message);
  }
  process.stdout.write(`windows helper (wine) took ${(run.ms / 1000).toFixed(1)} s\n`);
  await runFolderAttacks(outDir, check);
}

/**
 * The attacks on the folder, in the helper's own order in one Windows process (folder-attack-probe.ts). The Linux
 * side builds what a requester could: a folder of theirs, a unix symlink (which Wine follows like a junction) to a
 * folder of another account, and a folder whose next names are already taken.
 */
export async function runFolderAttacks(outDir, check) {
  const attack = join(outDir, 'folder-attack');
  rmSync(attack, { recursive: true, force: true });
  const [mine, foreign, names] = ['mine', 'foreign', 'names'].map((n) => join(attack, n));
  for (const dir of [mine, foreign, names]) mkdirSync(dir, { recursive: true });
  chownSync(foreign, 65534, 65534);
  chmodSync(foreign, 0o777);
  let swapper;
  try {
    const running = runWine(join(outDir, 'folder-attack-probe.js'), [mine, foreign, names, attack].map(winPath), { timeoutMs: 240_000 });
    // The requester's move, between the helper's check and its write.
    swapper = setInterval(() => {
      if (!existsSync(join(attack, 'checked')) || existsSync(join(attack, 'swapped'))) return;
      renameSync(mine, `${mine}-moved`);
      symlinkSync(foreign, mine);
      writeFileSync(join(attack, 'swapped'), '');
    }, 50);
    const run = await running;
    if (run.code !== 0) {
      check(false, 'folder attack probe ran', `exit ${run.code}: ${run.stderr.slice(0, 1500)}`);
      return;
    }
    const r = JSON.parse(run.stdout);
    check(
      r.swap.ok && r.swap.swapped && Array.isArray(r.swap.inForeign) && r.swap.inForeign.length === 0 && r.swap.inChecked.length === 1,
      'a folder swapped for a link to another account\'s folder after the check: the dump lands in the folder that was checked, none in the other',
      JSON.stringify(r.swap),
    );
    const { first, second, taken, takenIntact, files } = r.sameSecond;
    check(
      first.ok && second.ok && first.path !== second.path && takenIntact && files.length === taken.length + 2 && ![first, second].some((d) => taken.some((t) => d.path.endsWith(`\\${t}`))),
      'two dumps whose first names are taken land under two new names and replace no file',
      JSON.stringify({ first: first.path ?? first.message, second: second.path ?? second.message, takenIntact, files: files.length }),
    );
    check(
      !r.cancel.ok && r.cancel.code === 'cancelled' && r.cancel.sawWriting && Array.isArray(r.cancel.left) && r.cancel.left.length === 0,
      'a dump cancelled while writing into the opened folder leaves no file (removed through its handle)',
      JSON.stringify(r.cancel),
    );
  } finally {
    clearInterval(swapper);
    rmSync(attack, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) {
  ensureWinRuntime();
  let failed = 0;
  await runHelperSuite(
    (ok, name, detail) => {
      if (!ok) failed++;
      process.stdout.write(`${ok ? 'ok     ' : 'FAILED '} ${name}${detail ? ` — ${detail}` : ''}\n`);
    },
    (name, reason) => process.stdout.write(`skipped ${name} — ${reason}\n`),
  );
  process.exit(failed ? 1 : 0);
}

// `procscope persist` under Wine: runs scripts/wine/probes/persist-probe.ts (the CLI's dispatcher on the real
// advapi32 registry) in two phases and judges the registry itself with Wine's own `reg query`, never with our code:
// after `add hostname.exe --on crash,exit --full` the LocalDumps, SilentProcessExit and IFEO keys hold exactly the
// documented values; lsass.exe is refused and writes nothing; a foreign SilentProcessExit\ping.exe key is refused and
// left as it was; after `remove` our keys are gone while a foreign value planted in IFEO\hostname.exe beforehand is
// untouched. Wine implements neither Silent Process Exit nor WER LocalDumps, so whether Windows then writes the dumps
// is shown only on real Windows. scripts/test-win.mjs runs it through runPersistSuite().
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { assert, makeJudge } from './wine/judge.mjs';
import { prefixDir, runWine, wine64, wineEnv } from './wine/wine-env.mjs';

const HKLM = 'HKEY_LOCAL_MACHINE';
const IFEO = `${HKLM}\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options`;
const SPE = `${HKLM}\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SilentProcessExit`;
const WER = `${HKLM}\\SOFTWARE\\Microsoft\\Windows\\Windows Error Reporting\\LocalDumps`;
/** minidumpapiset.h: FullMemory | HandleData | UnloadedModules | FullMemoryInfo | ThreadInfo | IgnoreInaccessibleMemory | TokenInformation. */
const FULL_FLAGS = 0x2 | 0x4 | 0x20 | 0x800 | 0x1000 | 0x20000 | 0x40000;

function reg(args) {
  const r = spawnSync(wine64, ['reg', ...args], { env: wineEnv(), encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout ?? ''}` };
}

/** `reg query KEY` as { values: { name: [type, data] }, exists }: Wine prints "    Name    REG_TYPE    data" per value. */
function query(key) {
  const r = reg(['query', key]);
  const values = {};
  for (const line of r.out.split(/\r?\n/)) {
    const m = /^\s{4}(.+?)\s{4}(REG_\w+)\s{4}(.*)$/.exec(line);
    if (m) values[m[1]] = [m[2], m[3].trim()];
  }
  return { exists: r.code === 0, values };
}

const dword = (n) => `0x${n.toString(16)}`;

/** check(ok, name, detail) records one test. */
export async function runPersistSuite(check, probes) {
  const judge = makeJudge(check);
  const user = userInfo().username;
  // On drive C: of the prefix, below our own folders: the CLI checks the folder as the helper does (no ancestor
  // another account may change), and this checkout's ancestors (/work, /tmp) need not pass that.
  const folderLinux = join(prefixDir, 'drive_c', 'users', user, 'Temp', 'procscope-persist');
  const folder = `C:\\users\\${user}\\Temp\\procscope-persist`;
  const cleanup = () => {
    for (const k of [`${WER}\\hostname.exe`, `${SPE}\\hostname.exe`, `${IFEO}\\hostname.exe`, `${SPE}\\ping.exe`]) reg(['delete', k, '/f']);
    rmSync(folderLinux, { recursive: true, force: true });
  };
  cleanup();
  mkdirSync(folderLinux, { recursive: true });
  try {
    // Someone else's settings, there before Procscope: a value in IFEO\hostname.exe, a whole SilentProcessExit\ping.exe.
    reg(['add', `${IFEO}\\hostname.exe`, '/v', 'TheirValue', '/t', 'REG_SZ', '/d', 'theirs', '/f']);
    reg(['add', `${SPE}\\ping.exe`, '/v', 'ReportingMode', '/t', 'REG_DWORD', '/d', '1', '/f']);
    const werBefore = query(WER).exists;

    const add = await runWine(join(probes, 'persist-probe.js'), ['add', folder], { timeoutMs: 120_000 });
    if (add.code !== 0) {
      check(false, 'procscope persist under Wine: the add phase runs', `exit ${add.code}: ${add.stderr.slice(0, 800)}`);
      return;
    }
    const a = JSON.parse(add.stdout);
    const [lsass, hostname, ping, list] = a.runs;
    judge('procscope persist add lsass.exe is refused (exit 2) with its reason, and writes nothing', () => {
      assert(lsass.code === 2 && /lsass\.exe holds the credentials/.test(lsass.stderr), `exit ${lsass.code}: ${lsass.stderr.slice(0, 300)}`);
      for (const k of [`${SPE}\\lsass.exe`, `${WER}\\lsass.exe`]) assert(!query(k).exists, `${k} exists`);
      assert(!query(`${IFEO}\\lsass.exe`).values.GlobalFlag, 'IFEO\\lsass.exe has a GlobalFlag');
    });
    judge('procscope persist add hostname.exe --on crash,exit --full: exit 0, EDR warning first, keys named', () => {
      assert(hostname.code === 0, `exit ${hostname.code}: ${hostname.stderr.slice(0, 500)}`);
      assert(hostname.stderr.startsWith('Warning: security products'), `stderr: ${hostname.stderr.slice(0, 200)}`);
      assert(/Silent Process Exit/.test(hostname.stdout) && /WER LocalDumps/.test(hostname.stdout), hostname.stdout.slice(0, 400));
      return hostname.stdout.split('\n')[1]?.trim();
    });
    judge('wine reg query: LocalDumps\\hostname.exe holds DumpFolder (REG_EXPAND_SZ), DumpCount 10, DumpType 2 and our marker', () => {
      const v = query(`${WER}\\hostname.exe`).values;
      assert(v.DumpFolder?.[0] === 'REG_EXPAND_SZ' && v.DumpFolder[1] === folder, `DumpFolder ${JSON.stringify(v.DumpFolder)}`);
      assert(v.DumpCount?.[1] === dword(10) && v.DumpType?.[1] === dword(2) && v.ProcscopeOwned?.[1] === dword(1), JSON.stringify(v));
      if (!werBefore) assert(v.ProcscopeCreatedParent?.[1] === dword(1), 'created LocalDumps without saying so');
      return Object.keys(v).join(', ');
    });
    judge('wine reg query: SilentProcessExit\\hostname.exe holds ReportingMode 2, IgnoreSelfExits 0, LocalDumpFolder, DumpType full flags, 10 files', () => {
      const v = query(`${SPE}\\hostname.exe`).values;
      assert(v.ReportingMode?.[1] === dword(2) && v.IgnoreSelfExits?.[1] === dword(0), JSON.stringify(v));
      assert(v.LocalDumpFolder?.[0] === 'REG_SZ' && v.LocalDumpFolder[1] === folder, `LocalDumpFolder ${JSON.stringify(v.LocalDumpFolder)}`);
      assert(v.DumpType?.[1] === dword(FULL_FLAGS), `DumpType ${v.DumpType?.[1]}, want ${dword(FULL_FLAGS)}`);
      assert(v.MaxNumberOfDumpFiles?.[1] === dword(10) && v.MaximumNumberOfDumpFiles?.[1] === dword(10), JSON.stringify(v));
    });
    judge('wine reg query: IFEO\\hostname.exe GlobalFlag is 0x200 (REG_DWORD), marked as added to a key that was there; our RegQueryValueExW agrees', () => {
      const v = query(`${IFEO}\\hostname.exe`).values;
      assert(v.GlobalFlag?.[0] === 'REG_DWORD' && v.GlobalFlag[1] === dword(0x200), `GlobalFlag ${JSON.stringify(v.GlobalFlag)}`);
      assert(v.ProcscopeOwned?.[1] === dword(2) && v.TheirValue?.[1] === 'theirs', JSON.stringify(v));
      assert(a.globalFlag?.type === 'dword' && a.globalFlag.data === 0x200, `ours read ${JSON.stringify(a.globalFlag)}`);
    });
    judge('a foreign SilentProcessExit\\ping.exe is refused (exit 1) and left as it was', () => {
      assert(ping.code === 1 && /not written by Procscope/.test(ping.stderr), `exit ${ping.code}: ${ping.stderr.slice(0, 300)}`);
      const v = query(`${SPE}\\ping.exe`).values;
      assert(JSON.stringify(v) === JSON.stringify({ ReportingMode: ['REG_DWORD', dword(1)] }), JSON.stringify(v));
      assert(!query(`${IFEO}\\ping.exe`).values.GlobalFlag, 'IFEO\\ping.exe got a GlobalFlag');
    });
    judge('procscope persist list --json shows hostname.exe for crash and exit, full, in the folder', () => {
      const entries = JSON.parse(list.stdout).entries;
      const want = [{ image: 'hostname.exe', trigger: 'crash', kind: 'full', folder }, { image: 'hostname.exe', trigger: 'exit', kind: 'full', folder }];
      assert(list.code === 0 && JSON.stringify(entries) === JSON.stringify(want), list.stdout.slice(0, 400));
    });

    const remove = await runWine(join(probes, 'persist-probe.js'), ['remove', folder], { timeoutMs: 120_000 });
    if (remove.code !== 0) {
      check(false, 'procscope persist under Wine: the remove phase runs', `exit ${remove.code}: ${remove.stderr.slice(0, 800)}`);
      return;
    }
    const r = JSON.parse(remove.stdout);
    judge('procscope persist remove hostname.exe: our keys are gone, the foreign IFEO value and SilentProcessExit\\ping.exe stay', () => {
      assert(r.runs[0].code === 0, `exit ${r.runs[0].code}: ${r.runs[0].stderr.slice(0, 300)}`);
      assert(!query(`${WER}\\hostname.exe`).exists && !query(`${SPE}\\hostname.exe`).exists, 'a key of ours is still there');
      if (!werBefore) assert(!query(WER).exists, 'LocalDumps, which we created, is still there');
      const ifeo = query(`${IFEO}\\hostname.exe`).values;
      assert(JSON.stringify(ifeo) === JSON.stringify({ TheirValue: ['REG_SZ', 'theirs'] }), `IFEO\\hostname.exe now ${JSON.stringify(ifeo)}`);
      assert(r.globalFlag === null, `our RegQueryValueExW still reads ${JSON.stringify(r.globalFlag)}`);
      assert(JSON.stringify(query(`${SPE}\\ping.exe`).values) === JSON.stringify({ ReportingMode: ['REG_DWORD', dword(1)] }), 'ping.exe changed');
      assert(JSON.parse(r.runs[1].stdout).entries.length === 0, r.runs[1].stdout);
      return r.runs[0].stdout.trim().split('\n')[0];
    });
  } finally {
    cleanup();
  }
}

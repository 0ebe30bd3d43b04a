/*
 * Windows side of the elevated helper's watch job (runs under Wine, where "runas" starts without a prompt): the
 * app's createHelperCaptureEngine starts the bundled `procscope helper --job=watch` through the real runas Elevator
 * on one running node.exe "service" and every step is taken on that one service run: two refused jobs (wrong start
 * time, a folder another account owns: argv[3]); a watch at start and exit whose folder the Linux side swaps for a
 * link to that foreign folder once armed, while the service runs three hostname.exe children, ended by stop(); then a raw watch whose channel the app just closes, after which the service
 * runs one more child. The service exits only when told, so its exit code shows whether any watch disturbed it.
 * argv: [2] the bundled helper entry, [3] the foreign folder, [4] a folder of ours for the dumps and the hand-offs.
 * Prints one JSON report; scripts/test-win-helper.mjs judges it (lldb-16, sizes, the DACL's SID).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createHelperCaptureEngine } from '../../src-main/capture/helper/helper-capture-engine';
import { DumpError } from '../../src-main/dump/dump-writer';
import type { Elevator } from '../../src-main/dump/helper/elevator';
import { openHelperChannel } from '../../src-main/dump/helper/helper-channel';
import { helperWatchJobToArgs } from '../../src-main/dump/helper/helper-watch-args';
import { createRunasElevator } from '../../src-main/dump/win32/runas-elevator';
import { readFileDaclSddl, readTokenUserSid } from '../../src-main/platform/win32/ffi/advapi32';
import { currentProcess } from '../../src-main/platform/win32/ffi/kernel32';
import { createWin32Backend } from '../../src-main/platform/win32/win32-backend';
import type { CaptureEvent, CaptureRule } from '../../src-shared/model/capture';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const CHILDREN = 3;

const list = (dir: string): string[] | string => {
  try {
    return readdirSync(dir);
  } catch (err) {
    return String(err);
  }
};

function safeDacl(path: string): string {
  try {
    return readFileDaclSddl(path) ?? 'none';
  } catch (err) {
    return String(err);
  }
}

async function until(what: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (what()) return true;
  return what();
}

/** Resolves to the value, or to 'timeout' after `ms`: a helper that never exits must not hang the probe. */
const within = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> =>
  Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);

/** The real runas elevator, keeping each helper's exit (code or rejection) for the report. */
function recordingElevator(): { elevator: Elevator; exits: Promise<number | string>[] } {
  const runas = createRunasElevator();
  const exits: Promise<number | string>[] = [];
  const elevator: Elevator = {
    kind: runas.kind,
    run: (executable, args) => {
      const run = runas.run(executable, args);
      exits.push(run.then((c) => c, (err: unknown) => `rejected: ${String(err)}`));
      return run;
    },
  };
  return { elevator, exits };
}

async function main(): Promise<void> {
  const [helperEntry, foreignDir, work] = process.argv.slice(2) as [string, string, string];
  const command = { executable: process.execPath, args: [helperEntry] };
  const ownSid = readTokenUserSid(currentProcess());
  const file = (name: string): string => join(work, name);
  const serviceScript = `
    const fs = require('fs'); const { spawnSync } = require('child_process');
    const run = (n) => Array.from({ length: n }, () => {
      const t0 = Date.now(); const r = spawnSync('hostname.exe', [], { stdio: 'ignore' });
      return { pid: r.pid, status: r.status, ms: Date.now() - t0, error: r.error ? String(r.error) : null };
    });
    fs.writeFileSync(${JSON.stringify(file('ready'))}, 'ready');
    let phase = 0;
    setInterval(() => {
      if (phase === 0 && fs.existsSync(${JSON.stringify(file('go1'))})) { phase = 1; fs.writeFileSync(${JSON.stringify(file('kids1.json'))}, JSON.stringify(run(${CHILDREN}))); }
      if (phase === 1 && fs.existsSync(${JSON.stringify(file('go2'))})) { phase = 2; fs.writeFileSync(${JSON.stringify(file('kids2.json'))}, JSON.stringify(run(1))); }
      if (fs.existsSync(${JSON.stringify(file('quit'))})) process.exit(0);
    }, 20);`;
  const service = spawn(process.execPath, ['--jitless', '-e', serviceScript], { stdio: 'ignore' });
  const serviceExit = new Promise<number | null>((r) => service.on('exit', (code) => r(code)));
  const report: Record<string, unknown> = { ownSid, servicePid: service.pid };
  try {
    await until(() => existsSync(file('ready')), 30_000);
    const pid = service.pid!;
    const startTimeMs = createWin32Backend().readStartTimeMs(pid)!;
    const rule = (outDir: string, triggers: CaptureRule['triggers'], start = startTimeMs): CaptureRule => ({
      target: { pid, startTimeMs: start }, scope: 'descendants', nameGlob: null, cmdlineRegex: null, triggers,
      exitNonZeroOnly: false, kind: 'mini', outDir, holdTimeoutMs: 30_000, maxDumps: null, timeoutMs: 120_000,
    });

    /** A job the helper must refuse: start() rejects, no event, no file, and the helper exits. */
    const refused = async (outDir: string, start: number) => {
      const { elevator, exits } = recordingElevator();
      const events: CaptureEvent[] = [];
      try {
        const watch = await createHelperCaptureEngine({ elevator, command, uid: null, platform: 'win32' }).start(rule(outDir, ['start'], start), (e) => events.push(e));
        await watch.stop();
        return { ok: true, events: events.length };
      } catch (err) {
        const e = err instanceof DumpError ? { code: err.code, message: err.message } : { code: 'unexpected', message: String(err) };
        return { ok: false, ...e, events: events.length, files: list(outDir), helperExit: exits[0] ? await within(exits[0], 20_000) : 'never started' };
      }
    };
    const wrongStartDir = file('wrong-start');
    mkdirSync(wrongStartDir);
    report['wrongStart'] = await refused(wrongStartDir, startTimeMs + 5000);
    report['foreign'] = await refused(foreignDir, startTimeMs);

    // The watch proper: start + exit, three children, then stop() with the service still running.
    const dumpsDir = file('dumps');
    const movedDir = file('dumps-moved');
    mkdirSync(dumpsDir);
    const events: CaptureEvent[] = [];
    const { elevator, exits } = recordingElevator();
    const t0 = Date.now();
    try {
      const watch = await createHelperCaptureEngine({ elevator, command, uid: null, platform: 'win32' }).start(rule(dumpsDir, ['start', 'exit']), (e) => events.push(e));
      report['armedMs'] = Date.now() - t0;
      // The requester's move once the helper checked and opened the folder: the Linux side renames it away and puts
      // a link to the foreign folder in its place. Every dump must still land in the folder that was checked.
      writeFileSync(file('armed-flag'), '');
      report['swapped'] = await until(() => existsSync(file('swapped')), 30_000);
      // The probe runs with UV_THREADPOOL_SIZE=1: an elevator that waits for its helper on a pool thread leaves the
      // app no thread for fs, zlib or a dump's .async call for as long as the watch lasts.
      const poolAt = Date.now();
      const pool = await within(stat(work), 3000);
      report['poolWhileArmedMs'] = pool === 'timeout' ? 'timeout' : Date.now() - poolAt;
      writeFileSync(file('go1'), 'go');
      await until(() => existsSync(file('kids1.json')), 60_000);
      const kids = existsSync(file('kids1.json')) ? (JSON.parse(readFileSync(file('kids1.json'), 'utf8')) as { pid: number }[]) : [];
      report['children'] = kids;
      // Stop only once every child's exit (and with it Wine's exit error) has been reported.
      await until(() => kids.every((k) => events.some((e) => e.event === 'exited' && e.pid === k.pid)), 30_000);
      const stopAt = Date.now();
      await watch.stop();
      report['stopMs'] = Date.now() - stopAt;
      report['doneReason'] = await watch.finished;
      report['helperExit'] = exits[0] ? await within(exits[0], 20_000) : 'never started';
      report['serviceRunningAfterStop'] = service.exitCode === null;
      const moved = (p: string): string => join(movedDir, p.split('\\').pop()!);
      report['dacls'] = Object.fromEntries(events.flatMap((e) => (e.event === 'dump' ? [[e.path, safeDacl(moved(e.path))]] : [])));
    } catch (err) {
      report['startError'] = err instanceof DumpError ? `${err.code}: ${err.message}` : String(err);
    }
    report['events'] = events;
    report['files'] = list(movedDir);
    report['foreignFiles'] = list(foreignDir);

    // A watch whose app side just closes the channel (what the app's death does): the helper must release and exit.
    const closedDir = file('closed');
    mkdirSync(closedDir);
    const closedEvents: CaptureEvent[] = [];
    let failure: unknown = null;
    const channel = await openHelperChannel(
      { onMessage: (m) => m.kind === 'capture' && closedEvents.push(m.event), onFailure: (e) => (failure = e), onClose: () => {} },
      'win32',
    );
    const args = [...command.args, ...helperWatchJobToArgs({ rule: rule(closedDir, ['start']), uid: null, channel: channel.address, secret: channel.secret })];
    const helperRun = createRunasElevator().run(command.executable, args).then((c) => c, (err: unknown) => `rejected: ${String(err)}`);
    const armed = await until(() => closedEvents.some((e) => e.event === 'armed') || failure !== null, 30_000);
    const closeAt = Date.now();
    await channel.close();
    const closedExit = await within(helperRun, 20_000);
    report['closed'] = { armed: armed && closedEvents[0]?.event === 'armed', failure, helperExit: closedExit, exitMs: Date.now() - closeAt };
    // After it: the service's next child runs unheld, and nothing dumps it although the rule said 'start'.
    writeFileSync(file('go2'), 'go');
    await until(() => existsSync(file('kids2.json')), 30_000);
    (report['closed'] as Record<string, unknown>)['after'] = existsSync(file('kids2.json')) ? JSON.parse(readFileSync(file('kids2.json'), 'utf8')) : null;
    await sleep(500);
    (report['closed'] as Record<string, unknown>)['files'] = list(closedDir);
    (report['closed'] as Record<string, unknown>)['events'] = closedEvents.map((e) => e.event);
  } finally {
    writeFileSync(file('quit'), 'quit');
    report['serviceExit'] = await within(serviceExit, 10_000);
    if (report['serviceExit'] === 'timeout') service.kill();
  }
  process.stdout.write(JSON.stringify(report));
}

main().catch((err: unknown) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err));
  process.exitCode = 1;
});

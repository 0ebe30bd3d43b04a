/*
 * The elevated helper as a process of its own (the bundled `procscope helper` command with the real Linux writer,
 * started as this test's user, root in CI) fed fuzzed jobs: argv that its parser refuses, argv that parses but
 * names the wrong process or a folder it must not write into, and a fake app that answers the hello with fuzzed
 * lines instead of a welcome. Every run must exit non-zero with a one-line refusal on stderr (no stack trace), and
 * leave no file anywhere under the test folder. Each case is a process start, so the counts stay modest.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzParameters, fuzzSeed } from '../../__fixtures__/fuzz-seed';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { bundleFixture, REPO_NODE_MODULES } from './__fixtures__/bundle-fixture';
import { createDirectElevator } from './direct-elevator';
import { helperJobToArgs, parseHelperArgs, type HelperJob } from './helper-args';
import { openHelperChannel } from './helper-channel';
import { decodeAppMessage } from './helper-protocol';

const SEED = fuzzSeed();
const ARGV_RUNS = 30;
const MESSAGE_RUNS = 20;
/** The helper waits up to 15 s for a welcome; every case here ends long before (the channel is closed on it). */
const RUN_LIMIT_MS = 20_000;
const env = { ...process.env, NODE_PATH: REPO_NODE_MODULES };

let helperEntry: string;
let target: ChildProcess;
let targetStartMs: number;
let base: string;
let n = 0;

beforeAll(async () => {
  helperEntry = await bundleFixture(join(__dirname, '__fixtures__/helper-entry.ts'));
  target = spawn('sleep', ['600'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 50));
  targetStartMs = readProcessStartTimeMs(target.pid!)!;
  base = await mkdtemp(join(tmpdir(), 'procscope-helper-fuzz-'));
  await chmod(base, 0o755);
});
afterAll(async () => {
  target?.kill();
  if (base) await rm(base, { recursive: true, force: true });
  if (helperEntry) await rm(dirname(helperEntry), { recursive: true, force: true });
});

/** Every file under `dir`, folders walked (symbolic links listed, not followed). */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

/** A fresh case folder: the out folder the job names, a symlink to it, a file, and an open (0777) folder. */
async function freshCase(): Promise<{ dir: string; outDir: string; decoys: string[] }> {
  const dir = join(base, `case-${n++}`);
  const outDir = join(dir, 'out');
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  await symlink(outDir, join(dir, 'link'));
  await writeFile(join(dir, 'a-file'), '');
  await mkdir(join(dir, 'open'), { mode: 0o777 });
  await chmod(join(dir, 'open'), 0o777);
  await mkdir(join(dir, 'open', 'inner'), { mode: 0o700 });
  return { dir, outDir, decoys: ['link', 'link/.', 'a-file', 'open', 'open/inner', 'missing', 'out/../out', 'out/./', 'out//', '../out'] };
}

async function runHelperProcess(args: readonly string[]): Promise<{ exitCode: number; stderr: string }> {
  let stderr = '';
  let timer: NodeJS.Timeout | undefined;
  const exitCode = await Promise.race([
    createDirectElevator({ env, onStderr: (t) => (stderr += t) }).run(process.execPath, [helperEntry, ...args]),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the helper did not exit within ${RUN_LIMIT_MS} ms`)), RUN_LIMIT_MS))),
  ]);
  clearTimeout(timer);
  return { exitCode, stderr };
}

function checkRefused(what: string, outcome: { exitCode: number; stderr: string }, left: string[]): void {
  if (outcome.exitCode === 0) throw new Error(`${what}: the helper succeeded`);
  if (left.length) throw new Error(`${what}: the helper left ${left.join(', ')}`);
  if (!/^procscope helper: \S/.test(outcome.stderr) || /\n\s+at /.test(outcome.stderr)) throw new Error(`${what}: stderr is not a refusal sentence: ${outcome.stderr.slice(0, 400)}`);
}

type JobEdit =
  | { k: 'argv'; at: number; value: string; how: 'replace-value' | 'insert' | 'drop' | 'duplicate' }
  | { k: 'startTime'; delta: number }
  | { k: 'pid'; pid: number }
  | { k: 'folder'; decoy: number }
  | { k: 'secret'; secret: string }
  | { k: 'uid'; uid: number };

const oddValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', '0', '-1', 'x', '/', '..', 'full\n', '\u{1f600}', '--inspect-brk', '--pid=1'),
);
const jobEdit: fc.Arbitrary<JobEdit> = fc.oneof(
  fc.record({ k: fc.constant('argv' as const), at: fc.nat(), value: oddValue, how: fc.constantFrom('replace-value' as const, 'insert' as const, 'drop' as const, 'duplicate' as const) }),
  fc.record({ k: fc.constant('startTime' as const), delta: fc.oneof(fc.integer({ min: -100_000, max: 100_000 }).filter((d) => d !== 0), fc.constantFrom(-1, 1, 1000)) }),
  fc.record({ k: fc.constant('pid' as const), pid: fc.oneof(fc.integer({ min: 1, max: 0x3fffff }), fc.constantFrom(1, 2, process.pid)) }),
  fc.record({ k: fc.constant('folder' as const), decoy: fc.nat() }),
  fc.record({ k: fc.constant('secret' as const), secret: fc.stringMatching(/^[0-9a-f]{64}$/) }),
  fc.record({ k: fc.constant('uid' as const), uid: fc.constantFrom(1, 1000, 65534) }),
);

describe(`fuzz: the helper process refuses fuzzed jobs and messages and writes nothing (seed ${SEED})`, () => {
  it(`refuses ${ARGV_RUNS} fuzzed command lines`, async () => {
    let runs = 0;
    let refusedByParser = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(jobEdit, { minLength: 1, maxLength: 3 }), async (edits) => {
        runs++;
        const { dir, outDir, decoys } = await freshCase();
        const channel = await openHelperChannel({ onMessage: () => {}, onFailure: () => {}, onClose: () => {} });
        try {
          const job: HelperJob = {
            pid: target.pid!, startTimeMs: targetStartMs, kind: 'mini', outDir, uid: process.getuid!(), nameHint: 'sleep', channel: channel.address, secret: channel.secret,
          };
          let changed = false;
          let args: string[] = [];
          const semantic = { ...job };
          for (const e of edits) {
            if (e.k === 'startTime') semantic.startTimeMs = Math.max(1, semantic.startTimeMs + e.delta);
            else if (e.k === 'pid' && e.pid !== job.pid) semantic.pid = e.pid;
            // Not join(): it would normalise 'out/../out' and 'out//' away before the helper could see them.
            else if (e.k === 'folder') semantic.outDir = `${dir}/${decoys[e.decoy % decoys.length]!}`;
            else if (e.k === 'secret' && e.secret !== job.secret) semantic.secret = e.secret;
            else if (e.k === 'uid') semantic.uid = e.uid;
            else continue;
            changed = true;
          }
          args = helperJobToArgs(semantic);
          for (const e of edits) {
            if (e.k !== 'argv') continue;
            const i = e.at % args.length;
            if (e.how === 'replace-value') args[i] = `${args[i]!.split('=')[0]}=${e.value}`;
            else if (e.how === 'insert') args.splice(i, 0, e.value);
            else if (e.how === 'drop') args.splice(i, 1);
            else args.splice(i, 0, args[i]!);
            changed = true;
          }
          // An edit that left a job the helper should do (same process, folder, user and channel: a new name, say)
          // would rightly be dumped, and one whose folder left this case's folder ('/', say) could write there as
          // root: make both wrong for certain with an argument the helper does not know.
          const parsed = parseHelperArgs(args, 'linux');
          if (parsed.ok) {
            const p = parsed.job;
            const sameJob = p.pid === job.pid && p.startTimeMs === job.startTimeMs && p.outDir === job.outDir && p.uid === job.uid && p.secret === job.secret && p.channel === job.channel;
            if (!changed || sameJob || !p.outDir.startsWith(`${dir}/`)) args.push('--fuzz=1');
          }
          if (!parseHelperArgs(args, 'linux').ok) refusedByParser++;
          const outcome = await runHelperProcess(args);
          checkRefused(JSON.stringify(args).slice(0, 300), outcome, await filesUnder(dir).then((f) => f.filter((p) => !p.endsWith('/a-file') && !p.endsWith('/link'))));
        } finally {
          await channel.close();
        }
      }),
      fuzzParameters(SEED, 21, ARGV_RUNS),
    );
    console.log(`fuzz helper process argv: ${runs} helpers started, all refused with no file (${refusedByParser} by the parser, ${runs - refusedByParser} by the job checks)`);
    expect(runs - refusedByParser).toBeGreaterThan(0);
  });

  it(`refuses ${MESSAGE_RUNS} fake apps that answer the hello with fuzzed lines`, async () => {
    let runs = 0;
    const reply = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.json({ maxDepth: 2 }),
      fc.constantFrom('{"v":1,"kind":"cancel"}', '{"v":2,"kind":"welcome"}', '{"v":1,"kind":"welcome","x":1}', '{"v":{"toString":1},"kind":"welcome"}', '{"v":1,"kind":"hello"}', '', 'x'.repeat(70_000)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(reply, { minLength: 1, maxLength: 3 }), fc.boolean(), async (lines, hangUp) => {
        // A first line that is a real welcome would rightly start the dump: those are the hand-written tests' job.
        const first = lines.join('\n').split('\n').find((l) => l.length > 0);
        if (first !== undefined && decodeAppMessage(first).ok && (JSON.parse(first) as { kind: string }).kind === 'welcome') lines = ['{"v":1,"kind":"welcome!"}'];
        runs++;
        const allWellFormed = lines.join('\n').split('\n').every((l) => l.length === 0 || decodeAppMessage(l).ok);
        const { dir, outDir } = await freshCase();
        const sockDir = await mkdtemp(join(tmpdir(), 'procscope-helper-'));
        const address = join(sockDir, 'channel.sock');
        const server = createServer((conn) => {
          conn.on('error', () => {});
          conn.once('data', () => {
            conn.write(lines.join('\n') + '\n');
            // Hang up, or leave it to the helper to stop on what it read (only when some line is malformed: after
            // nothing but cancels the helper would rightly wait its 15 s for a welcome).
            if (hangUp || allWellFormed) setTimeout(() => conn.end(), 50);
          });
        });
        await new Promise<void>((r) => server.listen(address, r));
        try {
          const args = helperJobToArgs({ pid: target.pid!, startTimeMs: targetStartMs, kind: 'mini', outDir, uid: process.getuid!(), nameHint: null, channel: address, secret: 'c'.repeat(64) });
          const outcome = await runHelperProcess(args);
          checkRefused(JSON.stringify(lines).slice(0, 300), outcome, await filesUnder(dir).then((f) => f.filter((p) => !p.endsWith('/a-file') && !p.endsWith('/link'))));
        } finally {
          server.close();
          await rm(sockDir, { recursive: true, force: true });
        }
      }),
      fuzzParameters(SEED, 22, MESSAGE_RUNS),
    );
    console.log(`fuzz helper process messages: ${runs} helpers started, all refused with no file`);
  });
});

// The helper's refusals, run in-process against a real channel, a real spawned target and real folders; the
// writer is the scripted fake (helper-spawn.test.ts runs the helper as its own process with the real writer).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DUMP_NAME_ATTEMPTS, dumpFileName, type DumpErrorInfo, type DumpResult } from '../../../src-shared/model/dump';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { createFakeDumpWriter } from '../__fixtures__/fake-dump-writer';
import { helperJobToArgs, type HelperJob } from './helper-args';
import { openHelperChannel, type HelperChannel, type ProvenHelperMessage } from './helper-channel';
import { runHelper } from './helper-main';

let target: ChildProcess;
let targetStartMs: number;
let dir: string;
let outDir: string;
const uid = process.getuid!();

beforeAll(async () => {
  target = spawn('sleep', ['300'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 50));
  targetStartMs = readProcessStartTimeMs(target.pid!)!;
});
afterAll(() => {
  target.kill();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'helper-test-'));
  outDir = join(dir, 'out');
  await mkdir(outDir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Outcome {
  exitCode: number;
  messages: ProvenHelperMessage[];
  failure: DumpErrorInfo | null;
  stderr: string;
}

async function runAgainstChannel(
  edit: (job: HelperJob, channel: HelperChannel) => string[],
  env: NodeJS.ProcessEnv = {},
  ownUid: number = uid,
): Promise<Outcome> {
  const messages: ProvenHelperMessage[] = [];
  let failure: DumpErrorInfo | null = null;
  const channel = await openHelperChannel({ onMessage: (m) => messages.push(m), onFailure: (e) => (failure = e), onClose: () => {} });
  const job: HelperJob = {
    pid: target.pid!,
    startTimeMs: targetStartMs,
    kind: 'full',
    outDir,
    uid,
    nameHint: 'sleeper',
    channel: channel.address,
    secret: channel.secret,
  };
  let stderr = '';
  try {
    const exitCode = await runHelper(edit(job, channel), {
      createWriter: async () => createFakeDumpWriter(() => ({ totalBytes: 30_000 })),
      readStartTimeMs: readProcessStartTimeMs,
      platform: 'linux',
      env,
      stderr: (t) => (stderr += t),
      ownUid,
    });
    await new Promise((r) => setTimeout(r, 20));
    return { exitCode, messages, failure, stderr };
  } finally {
    await channel.close();
  }
}

const errorOf = (o: Outcome) => o.messages.find((m) => m.kind === 'error')?.error ?? null;

describe('helper, in-process', () => {
  it('does a valid job: proves the secret, streams progress, writes the dump and reports it', async () => {
    const o = await runAgainstChannel((job) => helperJobToArgs(job));
    expect(o.exitCode).toBe(0);
    expect(o.failure).toBeNull();
    const result = o.messages.find((m) => m.kind === 'result')?.result as DumpResult;
    expect(result.path.startsWith(outDir + '/sleeper_')).toBe(true);
    expect(await readdir(outDir)).toEqual([result.path.slice(outDir.length + 1)]);
    expect(o.messages.some((m) => m.kind === 'progress')).toBe(true);
  });

  it('refuses a relative path and pid 0 before touching anything, reporting on the channel (exit 2)', async () => {
    const rel = await runAgainstChannel((job) => helperJobToArgs({ ...job, outDir: 'out' }));
    expect(rel.exitCode).toBe(2);
    expect(errorOf(rel)).toEqual({ code: 'bad-request', message: "The helper refused its job: --out-dir must be an absolute folder path, not 'out'." });
    expect(rel.stderr).toBe("procscope helper: The helper refused its job: --out-dir must be an absolute folder path, not 'out'.\n");
    const zero = await runAgainstChannel((job) => helperJobToArgs({ ...job, pid: 0 }));
    expect(zero.exitCode).toBe(2);
    expect(errorOf(zero)!.message).toMatch(/--pid must be between 1 and/);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('with no usable channel, refuses on stderr alone (exit 2)', async () => {
    const o = await runAgainstChannel((job) => helperJobToArgs({ ...job, channel: 'relative.sock' }));
    expect(o.exitCode).toBe(2);
    expect(o.stderr).toBe('procscope helper: --channel must be the absolute path of a Procscope helper socket.\n');
    expect(o.messages).toEqual([]);
  });

  it('refuses a wrong start time (a recycled pid) over the channel', async () => {
    const o = await runAgainstChannel((job) => helperJobToArgs({ ...job, startTimeMs: job.startTimeMs - 5000 }));
    expect(o.exitCode).toBe(1);
    expect(errorOf(o)).toMatchObject({ code: 'pid-recycled' });
    expect(errorOf(o)!.message).toMatch(/no longer the process you chose/);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('refuses a folder reached through a symbolic link', async () => {
    await symlink(outDir, join(dir, 'link'));
    const o = await runAgainstChannel((job) => helperJobToArgs({ ...job, outDir: join(dir, 'link') }));
    expect(errorOf(o)).toMatchObject({ code: 'bad-request' });
    expect(errorOf(o)!.message).toMatch(/link' is a symbolic link/);
    await mkdir(join(outDir, 'deeper'));
    const mid = await runAgainstChannel((job) => helperJobToArgs({ ...job, outDir: join(dir, 'link', 'deeper') }));
    expect(errorOf(mid)!.message).toMatch(/is a symbolic link/);
    expect(await readdir(join(outDir, 'deeper'))).toEqual([]);
  });

  it('lets a non-root helper that is the requester use its own links, but holds any other helper to the strict checks', async () => {
    await symlink(outDir, join(dir, 'link'));
    const asRequester = await runAgainstChannel((job) => helperJobToArgs({ ...job, uid: 1000, outDir: join(dir, 'link') }), {}, 1000);
    expect(asRequester.exitCode).toBe(0);
    expect(await readdir(outDir)).toHaveLength(1);
    const forOther = await runAgainstChannel((job) => helperJobToArgs({ ...job, uid: 1001, outDir: join(dir, 'link') }), {}, 1000);
    expect(errorOf(forOther)!.message).toMatch(/is a symbolic link/);
  });

  it('never writes over a file: a taken name moves the dump to the next one, and only a full set of names is refused', async () => {
    // Occupy the names the writer may pick during the next seconds.
    const now = Date.now();
    const seconds = [-1, 0, 1, 2, 3, 4].map((s) => new Date(now + s * 1000));
    for (const at of seconds) await writeFile(join(outDir, dumpFileName('sleeper', target.pid!, 'full', 'core', at)), 'keep');
    const before = (await readdir(outDir)).sort();
    const o = await runAgainstChannel((job) => helperJobToArgs(job));
    expect(o.exitCode).toBe(0);
    const result = o.messages.find((m) => m.kind === 'result')?.result as DumpResult;
    expect(result.path).toMatch(/\/sleeper_\d+_\d{8}_\d{6}_full_2\.core$/);
    expect((await readdir(outDir)).sort()).toEqual([...before, result.path.slice(outDir.length + 1)].sort());
    for (const name of before) expect(await readFile(join(outDir, name), 'utf8')).toBe('keep');

    await rm(result.path);
    for (const at of seconds) {
      for (let attempt = 1; attempt <= DUMP_NAME_ATTEMPTS; attempt++) {
        await writeFile(join(outDir, dumpFileName('sleeper', target.pid!, 'full', 'core', at, attempt)), 'keep');
      }
    }
    const all = (await readdir(outDir)).sort();
    const refused = await runAgainstChannel((job) => helperJobToArgs(job));
    expect(refused.exitCode).toBe(1);
    expect(errorOf(refused)).toMatchObject({ code: 'file-exists' });
    expect(errorOf(refused)!.message).toMatch(new RegExp(`already exists, and so do the ${DUMP_NAME_ATTEMPTS - 1} names Procscope tries after it\\. Procscope never overwrites a file`));
    expect((await readdir(outDir)).sort()).toEqual(all);
  });

  it('refuses a folder of another user, a folder below one others may rename in, and a uid pkexec did not vouch for', async () => {
    await chown(outDir, 65534, 65534);
    const other = await runAgainstChannel((job) => helperJobToArgs(job));
    expect(errorOf(other)!.message).toMatch(/does not belong to you/);
    await chown(outDir, uid, 0);
    await chmod(dir, 0o777);
    const open = await runAgainstChannel((job) => helperJobToArgs(job));
    expect(errorOf(open)!.message).toMatch(/can be changed by another user/);
    await chmod(dir, 0o700);
    const spoofed = await runAgainstChannel((job) => helperJobToArgs(job), { PKEXEC_UID: String(uid + 1) });
    expect(errorOf(spoofed)!.message).toMatch(/different user than the one who authorised it/);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('cannot use the channel with a wrong secret: the app refuses, the helper stops, no file', async () => {
    const o = await runAgainstChannel((job) => helperJobToArgs({ ...job, secret: 'a'.repeat(64) }));
    expect(o.exitCode).toBe(1);
    expect(o.failure!.message).toMatch(/without the job's one-time secret/);
    expect(o.messages).toEqual([]);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('refuses a malformed message from the app and from a client, with a sentence', async () => {
    // A fake "app" that answers the hello with garbage.
    const sockDir = await mkdtemp(join(tmpdir(), 'procscope-helper-'));
    const address = join(sockDir, 'channel.sock');
    const received: string[] = [];
    const server = createServer((c) => {
      c.on('data', (d) => received.push(d.toString()));
      c.write('{"v":1,"kind":"welcome","extra":true}\n');
    });
    await new Promise<void>((r) => server.listen(address, r));
    let stderr = '';
    const code = await runHelper(
      helperJobToArgs({ pid: target.pid!, startTimeMs: targetStartMs, kind: 'full', outDir, uid, nameHint: null, channel: address, secret: 'b'.repeat(64) }),
      { createWriter: async () => createFakeDumpWriter(), readStartTimeMs: readProcessStartTimeMs, platform: 'linux', env: {}, stderr: (t) => (stderr += t), ownUid: uid },
    );
    server.close();
    await rm(sockDir, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(stderr).toMatch(/The app sent a malformed message/);
    expect(received.join('')).toMatch(/"kind":"error"/);
    expect(await readdir(outDir)).toEqual([]);

    // A client that connects to the app's channel and sends a line that is not JSON.
    let failure: DumpErrorInfo | null = null;
    const channel = await openHelperChannel({ onMessage: () => {}, onFailure: (e) => (failure = e), onClose: () => {} });
    const c = connect(channel.address);
    await new Promise((r) => c.once('connect', r));
    c.write('hello there\n');
    await new Promise((r) => c.once('close', r));
    await channel.close();
    expect(failure).toEqual({ code: 'bad-request', message: 'The helper sent a line that is not JSON. The dump was refused; try again, and report a bug if it keeps happening.' });
  });

  it('stops and removes its partial file when the app cancels', async () => {
    const messages: ProvenHelperMessage[] = [];
    const channel = await openHelperChannel({
      onMessage: (m) => {
        messages.push(m);
        if (m.kind === 'progress' && m.progress.bytesWritten > 0) channel.send({ v: 1, kind: 'cancel' });
      },
      onFailure: () => {},
      onClose: () => {},
    });
    const code = await runHelper(
      helperJobToArgs({ pid: target.pid!, startTimeMs: targetStartMs, kind: 'full', outDir, uid, nameHint: null, channel: channel.address, secret: channel.secret }),
      {
        createWriter: async () => createFakeDumpWriter(() => ({ totalBytes: 50_000_000, chunkBytes: 100_000, chunkDelayMs: 2 })),
        readStartTimeMs: readProcessStartTimeMs,
        platform: 'linux',
        env: {},
        stderr: () => {},
        ownUid: uid,
      },
    );
    await new Promise((r) => setTimeout(r, 20));
    await channel.close();
    expect(code).toBe(1);
    expect(messages.at(-1)).toMatchObject({ kind: 'error', error: { code: 'cancelled' } });
    expect(await readdir(outDir)).toEqual([]);
  });
});

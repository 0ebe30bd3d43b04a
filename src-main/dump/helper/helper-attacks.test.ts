// The root helper under attack by the user it works for (issue 11, items 1-2 and the folder mutations): the helper
// runs in-process as root with the real Linux writer for the requester `nobody`, and the attacker's moves are run
// as `nobody` (setpriv) at the exact moment that matters — during the write, right after the folder walk, or before
// it — through a writer wrapper, so each race is deterministic. Every attack must end with root's files untouched.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DumpErrorInfo, DumpResult } from '../../../src-shared/model/dump';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import type { DumpWriter } from '../dump-writer';
import { createLinuxCoreWriter } from '../linux/linux-core-writer';
import { helperJobToArgs } from './helper-args';
import { openHelperChannel, type ProvenHelperMessage } from './helper-channel';
import { runHelper } from './helper-main';

const NOBODY = 65534;
const OTHER_USER = 4321;

let target: ChildProcess;
let targetStartMs: number;
let base: string;
let home: string;
let outDir: string;
let canary: string;
let rootOnly: string;

/** Runs a shell script as `nobody`, the requester turned attacker; the attack itself must succeed. */
function asNobody(script: string): void {
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'sh', '-ec', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the attacker's script failed: ${r.stderr}`);
}

/** The fs uid and gid of the calling thread (fourth field of Uid:/Gid: in /proc/thread-self/status). */
function fsIds(): { fsuid: number; fsgid: number } {
  const status = readFileSync('/proc/thread-self/status', 'latin1');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+\\d+\\s+\\d+\\s+\\d+\\s+(\\d+)`, 'm').exec(status)?.[1]);
  return { fsuid: field('Uid'), fsgid: field('Gid') };
}

interface Outcome {
  exitCode: number;
  result: DumpResult | null;
  error: DumpErrorInfo | null;
}

async function runHelperAsRoot(writer: DumpWriter, jobOutDir = outDir): Promise<Outcome> {
  const messages: ProvenHelperMessage[] = [];
  const channel = await openHelperChannel({ onMessage: (m) => messages.push(m), onFailure: () => {}, onClose: () => {} });
  try {
    const args = helperJobToArgs({
      pid: target.pid!,
      startTimeMs: targetStartMs,
      kind: 'mini',
      outDir: jobOutDir,
      uid: NOBODY,
      nameHint: 'sleeper',
      channel: channel.address,
      secret: channel.secret,
    });
    const exitCode = await runHelper(args, {
      createWriter: async () => writer,
      readStartTimeMs: readProcessStartTimeMs,
      platform: 'linux',
      env: { PKEXEC_UID: String(NOBODY) },
      stderr: () => {},
      ownUid: 0,
    });
    await new Promise((r) => setTimeout(r, 20));
    const result = messages.find((m) => m.kind === 'result');
    const error = messages.find((m) => m.kind === 'error');
    return {
      exitCode,
      result: result?.kind === 'result' ? result.result : null,
      error: error?.kind === 'error' ? error.error : null,
    };
  } finally {
    await channel.close();
  }
}

/** The real writer, with the attacker's move run at the first 'writing' progress (the file exists, the copy has not begun). */
function writerAttackingDuringWrite(attack: () => void): DumpWriter {
  const real = createLinuxCoreWriter();
  return {
    format: real.format,
    write: (request, options = {}) => {
      let done = false;
      return real.write(request, {
        ...options,
        onProgress: (p) => {
          if (p.phase === 'writing' && !done) {
            done = true;
            attack();
          }
          options.onProgress?.(p);
        },
      });
    },
  };
}

/** The real writer, with the attacker's move run after the helper's checks and before the writer creates its file. */
function writerAttackingBeforeCreate(attack: () => void): DumpWriter {
  const real = createLinuxCoreWriter();
  return {
    format: real.format,
    write: (request, options) => {
      attack();
      return real.write(request, options);
    },
  };
}

function expectRootFilesUntouched(): void {
  const st = statSync(canary);
  expect(st.uid).toBe(0);
  expect(st.gid).toBe(0);
  expect(st.mode & 0o7777).toBe(0o600);
  expect(readFileSync(canary, 'utf8')).toBe('root secret\n');
  expect(readdirSync(rootOnly)).toEqual([]);
  expect(fsIds()).toEqual({ fsuid: 0, fsgid: 0 });
}

beforeAll(async () => {
  expect(process.getuid!()).toBe(0);
  target = spawn('sleep', ['600'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 50));
  targetStartMs = readProcessStartTimeMs(target.pid!)!;
});
afterAll(() => {
  target.kill();
});
beforeEach(() => {
  // base (root, 0755) / home (nobody) / dumps (nobody, 0700); root's canary 0600 and root-only folder 0700 beside it.
  base = mkdtempSync(join(tmpdir(), 'procscope-helper-attack-'));
  chmodSync(base, 0o755);
  home = join(base, 'home');
  mkdirSync(home, { mode: 0o755 });
  chownSync(home, NOBODY, NOBODY);
  outDir = join(home, 'dumps');
  mkdirSync(outDir, { mode: 0o700 });
  chownSync(outDir, NOBODY, NOBODY);
  canary = join(base, 'canary');
  writeFileSync(canary, 'root secret\n', { mode: 0o600 });
  rootOnly = join(base, 'root-only');
  mkdirSync(rootOnly, { mode: 0o700 });
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('the root helper, attacked by its requester', () => {
  it('(a) a dump renamed away mid-write and replaced by a symlink to a root-only file: root hands nothing over', async () => {
    const o = await runHelperAsRoot(
      writerAttackingDuringWrite(() => {
        const [name] = readdirSync(outDir);
        asNobody(`cd '${outDir}'; mv '${name}' stolen; ln -s '${canary}' '${name}'`);
      }),
    );
    expectRootFilesUntouched();
    // The dump went on into the file the requester moved: theirs from its creation, never root's.
    expect(o.exitCode).toBe(0);
    const stolen = statSync(join(outDir, 'stolen'));
    expect(stolen.uid).toBe(NOBODY);
    expect(stolen.size).toBe(o.result!.fileBytes);
    expect(readFileSync(join(outDir, 'stolen')).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  });

  it('(b) the folder swapped for a symlink to a root-only folder right after the walk: the create stays in the real folder', async () => {
    const o = await runHelperAsRoot(writerAttackingBeforeCreate(() => asNobody(`cd '${home}'; mv dumps dumps-real; ln -s '${rootOnly}' dumps`)));
    expectRootFilesUntouched();
    expect(o.exitCode).toBe(0);
    const landed = readdirSync(join(home, 'dumps-real')).sort();
    expect(landed).toHaveLength(2);
    expect(landed[0]).toMatch(/^sleeper_\d+_\d{8}_\d{6}_mini\.core$/);
    expect(landed[1]).toBe(`${landed[0]}.pack`); // the analysis pack, created through the same descriptor
    const st = statSync(join(home, 'dumps-real', landed[0]!));
    expect(st.uid).toBe(NOBODY);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.size).toBe(o.result!.fileBytes);
    const pack = statSync(join(home, 'dumps-real', landed[1]!));
    expect([pack.uid, pack.mode & 0o777]).toEqual([NOBODY, 0o600]);
  });

  it('(e) a link planted at the analysis pack\'s name during the write: not followed, root\'s file untouched, no pack', async () => {
    const o = await runHelperAsRoot(
      writerAttackingDuringWrite(() => {
        const [name] = readdirSync(outDir);
        asNobody(`cd '${outDir}'; ln -s '${canary}' '${name}.pack'`);
      }),
    );
    expectRootFilesUntouched();
    expect(o.exitCode).toBe(0);
    expect(o.result!.analysisPackPath).toBeUndefined();
    const name = o.result!.path.slice(outDir.length + 1);
    expect(lstatSync(join(outDir, `${name}.pack`)).isSymbolicLink()).toBe(true);
    expect(readdirSync(outDir).sort()).toEqual([name, `${name}.pack`]);
  });

  it('(b) the folder swapped for a symlink before the walk: refused, nothing written', async () => {
    asNobody(`cd '${home}'; mv dumps dumps-real; ln -s '${rootOnly}' dumps`);
    const o = await runHelperAsRoot(createLinuxCoreWriter());
    expect(o.exitCode).toBe(1);
    expect(o.error).toEqual({
      code: 'bad-request',
      message: `'${outDir}' is a symbolic link; the elevated helper only writes into folders reached without links. Choose the real folder.`,
    });
    expectRootFilesUntouched();
    expect(readdirSync(join(home, 'dumps-real'))).toEqual([]);
  });

  it('(c) refuses a folder below an ancestor owned by another user, even one nobody else may write to', async () => {
    chownSync(home, OTHER_USER, OTHER_USER);
    expect(statSync(home).mode & 0o022).toBe(0);
    const o = await runHelperAsRoot(createLinuxCoreWriter());
    expect(o.exitCode).toBe(1);
    expect(o.error).toEqual({
      code: 'bad-request',
      message: `The folder '${home}' can be changed by another user, so the elevated helper will not write below it. Choose a folder in your home.`,
    });
    expect(readdirSync(outDir)).toEqual([]);
    expectRootFilesUntouched();
  });

  it("(d) refuses a path with '..' even where it leads back to the requester's own folder", async () => {
    mkdirSync(join(outDir, 'sub'));
    chownSync(join(outDir, 'sub'), NOBODY, NOBODY);
    const dotted = join(outDir, 'sub') + '/..';
    const o = await runHelperAsRoot(createLinuxCoreWriter(), dotted);
    expect(o.exitCode).toBe(1);
    expect(o.error).toEqual({
      code: 'bad-request',
      message: `The folder '${dotted}' contains '.', '..' or doubled slashes; give its plain absolute path.`,
    });
    expect(readdirSync(outDir)).toEqual(['sub']);
    expectRootFilesUntouched();
  });
});

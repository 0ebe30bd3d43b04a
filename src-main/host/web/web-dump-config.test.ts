import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Elevator } from '../../dump/helper/elevator';
import { createServeDumpEngineFactory, createServeElevator, serveConfigDir } from './web-dump-config';

describe('procscope serve dump configuration', () => {
  it('puts the settings in PROCSCOPE_CONFIG_DIR, else the per-user config folder', () => {
    expect(serveConfigDir({ PROCSCOPE_CONFIG_DIR: '/tmp/cfg' }, 'linux', '/home/a')).toBe('/tmp/cfg');
    expect(serveConfigDir({}, 'linux', '/home/a')).toBe('/home/a/.config/procscope');
    expect(serveConfigDir({ XDG_CONFIG_HOME: '/x' }, 'linux', '/home/a')).toBe('/x/procscope');
    expect(() => serveConfigDir({ PROCSCOPE_CONFIG_DIR: 'relative' }, 'linux', '/home/a')).toThrow(/must be an absolute folder/);
  });

  it('refuses an unknown test elevator instead of silently prompting', async () => {
    const factory = createServeDumpEngineFactory({ env: { PROCSCOPE_TEST_ELEVATOR: 'yes-please', PROCSCOPE_CONFIG_DIR: '/tmp/x' }, cliScriptPath: '/nope/cli.js' });
    await expect(factory(async () => [])).rejects.toThrow(/PROCSCOPE_TEST_ELEVATOR may only be 'direct'/);
  });
});

describe('procscope serve: Retry as administrator runs only code root owns', () => {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  /** node, out/main/cli.js and a chunk beside it, in a fresh folder under the temp folder. */
  function tree(): { execPath: string; cliScriptPath: string; chunk: string; root: string } {
    const root = mkdtempSync(join(tmpdir(), 'procscope-elevated-code-'));
    made.push(root);
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'out', 'main'), { recursive: true });
    const execPath = join(root, 'bin', 'node');
    const cliScriptPath = join(root, 'out', 'main', 'cli.js');
    const chunk = join(root, 'out', 'main', 'helper-abc.js');
    for (const file of [execPath, cliScriptPath, chunk]) writeFileSync(file, '// code\n', { mode: 0o755 });
    return { execPath, cliScriptPath, chunk, root };
  }

  function recorder() {
    const runs: string[] = [];
    const elevator: Elevator = { kind: 'pkexec', run: async (executable) => (runs.push(executable), 0) };
    return { elevator, runs };
  }

  async function elevate(t: ReturnType<typeof tree>, inner: Elevator, env: NodeJS.ProcessEnv = {}) {
    const elevator = await createServeElevator({ env, cliScriptPath: t.cliScriptPath, platform: 'linux', execPath: t.execPath, platformElevator: inner });
    return elevator!.run(t.execPath, [t.cliScriptPath, 'helper']);
  }

  it('refuses when the CLI bundle, a chunk it loads or a folder above them belongs to another account, and runs nothing', async () => {
    for (const victim of ['cliScriptPath', 'chunk', 'main folder', 'execPath'] as const) {
      const t = tree();
      const path = victim === 'main folder' ? dirname(t.cliScriptPath) : t[victim];
      chownSync(path, 65534, 65534);
      const { elevator, runs } = recorder();
      await expect(elevate(t, elevator), victim).rejects.toMatchObject({
        code: 'unsupported',
        message: expect.stringMatching(new RegExp(`^Retry as administrator is refused: it would run code from (the folder )?${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} as root, and that belongs to uid 65534, not root\\. Whoever can change that code would run it as root\\.`)),
      });
      expect(runs).toEqual([]);
    }
  });

  it('refuses a chunk or folder others may write, and a link to code elsewhere that is not safe', async () => {
    const t = tree();
    chmodSync(t.chunk, 0o666);
    const { elevator, runs } = recorder();
    await expect(elevate(t, elevator)).rejects.toThrow(/helper-abc\.js as root, and everyone may write there\./);
    const g = tree();
    chmodSync(dirname(g.cliScriptPath), 0o775);
    await expect(elevate(g, elevator)).rejects.toThrow(/the folder .*out\/main as root, and its group \(gid \d+\) may write there\./);
    const l = tree();
    const elsewhere = mkdtempSync(join(tmpdir(), 'procscope-elevated-code-'));
    made.push(elsewhere);
    writeFileSync(join(elsewhere, 'evil.js'), '// evil\n');
    chownSync(join(elsewhere, 'evil.js'), 65534, 65534);
    rmSync(l.chunk);
    symlinkSync(join(elsewhere, 'evil.js'), l.chunk);
    await expect(elevate(l, elevator)).rejects.toThrow(/evil\.js as root, and that belongs to uid 65534/);
    expect(runs).toEqual([]);
  });

  it.runIf(process.getuid?.() === 0)('elevates when everything is root-owned and closed to others (needs root to own the tree)', async () => {
    const t = tree();
    const { elevator, runs } = recorder();
    expect(await elevate(t, elevator)).toBe(0);
    expect(runs).toEqual([t.execPath]);
  });

  it('leaves the test double alone: PROCSCOPE_TEST_ELEVATOR=direct does not elevate, so nothing runs as root', async () => {
    const t = tree();
    chownSync(t.cliScriptPath, 65534, 65534);
    const direct = await createServeElevator({ env: { PROCSCOPE_TEST_ELEVATOR: 'direct' }, cliScriptPath: t.cliScriptPath, platform: 'linux' });
    expect(direct!.kind).toBe('direct');
  });
});

// pkexec's exit codes (man pkexec) through stand-in scripts: nobody can answer a real polkit prompt in CI.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPkexecElevator } from './pkexec-elevator';

let dir: string;
async function script(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pkexec-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pkexec elevator', () => {
  it('runs the helper as pkexec would after a granted prompt, passing the arguments unchanged', async () => {
    const out = join(dir, 'argv.txt');
    // Stand-in for a granted pkexec: drop our option, run the program, return its exit code.
    const granted = await script('granted', `[ "$1" = --disable-internal-agent ] || exit 99\nshift\nprintf '%s\\n' "$@" > '${out}'\nexit 3`);
    const elevator = createPkexecElevator({ pkexecPath: granted });
    expect(elevator.kind).toBe('pkexec');
    expect(await elevator.run('/usr/bin/node', ['cli.js', 'helper', '--out-dir', '/home/a b'])).toBe(3);
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(out, 'utf8')).toBe('/usr/bin/node\ncli.js\nhelper\n--out-dir\n/home/a b\n');
  });

  it('maps 126 (prompt dismissed) to "Elevation was cancelled"', async () => {
    const elevator = createPkexecElevator({ pkexecPath: await script('dismissed', 'exit 126') });
    await expect(elevator.run('/usr/bin/node', [])).rejects.toMatchObject({
      code: 'elevation-cancelled',
      message: 'Elevation was cancelled, so nothing was dumped. Retry as administrator when you are ready.',
    });
  });

  it("maps 127 (not authorised / no agent) to needs-elevation with pkexec's reason and a next step", async () => {
    const elevator = createPkexecElevator({
      pkexecPath: await script('refused', 'echo "Error executing command as another user: No authentication agent found." >&2\nexit 127'),
    });
    const err = await elevator.run('/usr/bin/node', []).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'needs-elevation' });
    expect((err as Error).message).toBe(
      'Administrator rights were not granted (pkexec: Error executing command as another user: No authentication agent found.). ' +
        'Make sure a polkit authentication agent is running and you may act as an administrator, or run `sudo procscope dump`.',
    );
  });

  it('says how to get pkexec when it is missing, and refuses a relative helper path', async () => {
    const missing = createPkexecElevator({ pkexecPath: join(dir, 'no-such-pkexec') });
    await expect(missing.run('/usr/bin/node', [])).rejects.toMatchObject({ code: 'unsupported', message: expect.stringMatching(/apt install pkexec/) });
    await expect(createPkexecElevator().run('node', [])).rejects.toMatchObject({ code: 'bad-request' });
  });
});

describe('pkexec elevator in an AppImage', () => {
  it('refuses with a sentence saying elevation needs the deb, and never starts pkexec', async () => {
    const started = join(dir, 'appimage-started');
    const pkexec = await script('appimage-pkexec', `touch '${started}'\nexit 0`);
    const elevator = createPkexecElevator({ pkexecPath: pkexec, env: { APPIMAGE: '/home/ann/Procscope-0.1.0.AppImage' } });
    await expect(elevator.run('/tmp/.mount_ProcscXYZ/procscope', ['--no-sandbox', '--procscope-helper'])).rejects.toMatchObject({
      code: 'unsupported',
      message:
        'Retry as administrator needs the Procscope deb package: this copy runs from an AppImage, whose files root cannot read ' +
        '(it is a FUSE mount only you may open), and the deb installs the polkit policy pkexec asks with. Install the deb, ' +
        'or dump as root from a terminal.',
    });
    const { existsSync } = await import('node:fs');
    expect(existsSync(started)).toBe(false);
  });
});

describe('polkit policy', () => {
  it('declares the helper action: admin authentication every time, for the packaged binary', async () => {
    const { readFile } = await import('node:fs/promises');
    const file = await readFile(join(__dirname, '../../../assets/polkit/io.procscope.dump-helper.policy'), 'utf8');
    expect(file).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    const xml = file.replace(/<!--[\s\S]*?-->/g, '');
    expect(xml).toMatch(/<action id="io\.procscope\.dump-helper">/);
    // auth_admin_keep would let anything driving the app reuse one approval for five minutes.
    expect(xml).not.toMatch(/auth_admin_keep|>yes<|auth_self/);
    for (const key of ['allow_any', 'allow_inactive', 'allow_active']) expect(xml).toMatch(new RegExp(`<${key}>auth_admin</${key}>`));
    expect(xml).toMatch(/<annotate key="org\.freedesktop\.policykit\.exec\.path">\/opt\/Procscope\/procscope<\/annotate>/);
    // Well-formed enough for polkitd: every opened element is closed.
    const opened = [...xml.matchAll(/<([a-z_]+)[\s>]/g)].map((m) => m[1]);
    const closed = [...xml.matchAll(/<\/([a-z_]+)>/g)].map((m) => m[1]);
    expect(closed.sort()).toEqual(opened.sort());
  });
});

// scripts/check-fuses.mjs on small files that carry Electron's fuse wire (sentinel, version, length, states),
// flipped with @electron/fuses itself: it passes a wire set as electron-builder.yml says and fails on any other.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flipFuses, FuseV1Options, FuseVersion } from '@electron/fuses';

/** The marker before the fuse wire in every Electron binary (@electron/fuses, dist/constants.d.ts: SENTINEL). */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

const script = join(__dirname, 'check-fuses.mjs');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'procscope-fuses-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in binary: some bytes, the sentinel, wire version 1, 9 fuses all enabled ('1' = 0x31), more bytes. */
function fakeBinary(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([Buffer.alloc(4096, 7), Buffer.from(SENTINEL), Buffer.from([1, 9]), Buffer.alloc(9, 0x31), Buffer.alloc(512)]));
  return path;
}
const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

describe('check-fuses', () => {
  it('passes a binary whose fuses match electron-builder.yml', async () => {
    const binary = fakeBinary('good');
    await flipFuses(binary, {
      version: FuseVersion.V1,
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
      [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
    });
    const r = run(binary);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/ok {3}RunAsNode: off \(want off\)/);
    expect(r.stdout).toMatch(/check-fuses: 1 binaries, 8 fuses each, 0 problems/);
    expect(r.status).toBe(0);
  });

  it('fails on Electron defaults (RunAsNode, NODE_OPTIONS and inspect on), a file without fuses, and no argument', () => {
    const r = run(fakeBinary('defaults'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/RunAsNode is on, electron-builder.yml wants off\./);
    expect(r.stderr).toMatch(/EnableNodeCliInspectArguments is on/);
    const plain = join(dir, 'plain');
    writeFileSync(plain, 'no fuses here');
    expect(run(plain)).toMatchObject({ status: 1, stderr: expect.stringMatching(/Could not find sentinel/) });
    expect(run(join(dir, 'missing'))).toMatchObject({ status: 1, stderr: expect.stringMatching(/no such file/) });
    expect(run()).toMatchObject({ status: 2, stderr: expect.stringMatching(/^usage:/) });
  });
});

// scripts/electronegativity.mjs on small built trees: a real misconfiguration fails the scan, the allow-listed
// false positives do not, and an unparsable file that mentions electron is never silently skipped.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const script = join(__dirname, 'electronegativity.mjs');
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function build(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'procscope-electronegativity-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
const run = (dir: string) => spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
const CSP = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; base-uri 'none'" />`;

describe('electronegativity on a build', () => {
  it('fails on nodeIntegration: true and contextIsolation: false, naming the checks', () => {
    const dir = build({
      'main/index.js': `const { BrowserWindow } = require("electron");\nnew BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false } });\n`,
      'renderer/index.html': `<html><head>${CSP}</head></html>`,
    });
    const r = run(dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/NODE_INTEGRATION_JS_CHECK main\/index\.js:2/);
    expect(r.stderr).toMatch(/CONTEXT_ISOLATION_JS_CHECK/);
  });

  it('passes the allow-listed findings, and refuses an unparsable file that mentions electron', () => {
    const clean = build({
      'main/index.js': [
        'const electron = require("electron");',
        'contents.on("will-navigate", (e) => e.preventDefault());',
        'contents.setWindowOpenHandler(() => ({ action: "deny" }));',
        'contents.session.setPermissionRequestHandler((c, p, cb) => cb(false));',
        'hardenWebContents(c, { openExternal: (url) => void electron.shell.openExternal(url) });',
      ].join('\n'),
      'main/plain.js': `class A { #x = 1; get() { return this.#x; } }\n`,
      'renderer/index.html': `<html><head>${CSP}</head></html>`,
    });
    const ok = run(clean);
    expect(ok.stdout).toMatch(/allowed OPEN_EXTERNAL_JS_CHECK main\/index\.js:5/);
    expect(ok.stdout).toMatch(/unscanned plain\.js: .*\(never mentions electron\)/);
    expect(ok.stdout).toMatch(/0 problems/);
    expect(ok.status).toBe(0);
    const hidden = build({
      'main/index.js': `const x = 1;\n`,
      'main/hidden.js': `const { BrowserWindow } = require("electron");\nclass A { #w = new BrowserWindow({ webPreferences: { nodeIntegration: true } }); }\n`,
    });
    const r = run(hidden);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/hidden\.js could not be scanned .* and mentions electron\./);
  });

  it('says what to do when there is no build, and leaves nothing in the temp folder', () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('releases.')).length;
    const r = run(join(tmpdir(), 'procscope-no-such-build'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/index\.js is missing; run `npx electron-vite build` first\./);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('releases.')).length).toBe(before);
  });
});

/*
 * electron-builder.yml as electron-builder reads it: the whole file validated against app-builder-lib's own JSON
 * schema (its scheme.json), then the settings the elevated helper's safety rests on — every fuse, the polkit
 * policy installed by the deb with the exec.path of the binary the deb installs, and the asInvoker manifest.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { HELPER_SAFETY_FUSES } from './__fixtures__/helper-fuses';

const ROOT = join(__dirname, '..', '..', '..');
const require = createRequire(__filename);
// js-yaml comes with electron-builder; it ships no types, and load() is all this test needs.
const yaml = require('js-yaml') as { load(text: string): unknown };
const schema = require('app-builder-lib/scheme.json') as object;

interface BuilderConfig {
  productName: string;
  electronFuses: Record<string, boolean>;
  linux: { executableName: string; target: string[] };
  deb: { fpm: string[]; maintainer: string };
  win: { requestedExecutionLevel: string };
  asar?: boolean;
}
const configText = readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8');
const config = yaml.load(configText) as BuilderConfig;

function validator() {
  const ajv = new Ajv({ allErrors: true });
  // scheme.json marks function-valued options (hooks) with a non-standard "typeof" keyword; YAML holds no
  // functions, so the keyword is declared as what it says rather than turning strict mode off.
  ajv.addKeyword({ keyword: 'typeof', schemaType: 'string', validate: (type: string, data: unknown) => typeof data === type });
  return ajv.compile(schema);
}

describe('electron-builder.yml', () => {
  it("is valid against app-builder-lib's own schema, and the schema does catch a bad fuse", () => {
    const validate = validator();
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...config, electronFuses: { ...config.electronFuses, runAsNod: false } })).toBe(false);
    expect(validate({ ...config, electronFuses: { ...config.electronFuses, runAsNode: 'no' } })).toBe(false);
  });

  it('sets every fuse the helper relies on', () => {
    expect(config.electronFuses).toEqual({
      ...HELPER_SAFETY_FUSES,
      enableCookieEncryption: true,
      loadBrowserProcessSpecificV8Snapshot: false,
    });
    // onlyLoadAppFromAsar needs an app.asar: asar must not be turned off.
    expect(config.asar).not.toBe(false);
  });

  it('has the deb install the polkit policy, whose exec.path is the binary the deb installs', () => {
    const policyFile = 'assets/polkit/io.procscope.dump-helper.policy';
    const destination = '/usr/share/polkit-1/actions/io.procscope.dump-helper.policy';
    expect(config.deb.fpm).toContain(`${policyFile}=${destination}`);
    expect(basename(destination)).toBe(basename(policyFile));
    expect(config.linux.target).toEqual(expect.arrayContaining(['deb', 'AppImage']));
    // app-builder-lib's FpmTarget installs the app at /opt/<sanitized productName>/<executableName>.
    const installed = `/opt/${config.productName}/${config.linux.executableName}`;
    expect(installed).toBe('/opt/Procscope/procscope');
    const policy = readFileSync(join(ROOT, policyFile), 'utf8');
    const execPaths = [...policy.matchAll(/<annotate key="org\.freedesktop\.policykit\.exec\.path">([^<]*)<\/annotate>/g)].map((m) => m[1]);
    expect(execPaths).toEqual([installed]);
    expect(config.deb.maintainer).toMatch(/<[^@\s]+@[^>\s]+>$/);
  });

  it('asks for no elevation at start (the helper asks per dump)', () => {
    expect(config.win.requestedExecutionLevel).toBe('asInvoker');
  });
});

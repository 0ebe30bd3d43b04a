#!/usr/bin/env node
// Reads the fuses back from built Electron binaries and fails if any differs from electron-builder.yml's
// electronFuses: the check that electron-builder really flipped them (run by .github/workflows/ci.yml on the
// NSIS, AppImage and deb output). Uses @electron/fuses' own reader, the code behind `electron-fuses read`.
// Usage: node scripts/check-fuses.mjs BINARY...
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';

const root = join(import.meta.dirname, '..');
const yaml = createRequire(import.meta.url)('js-yaml');

/** electron-builder.yml's camelCase fuse names → @electron/fuses' FuseV1Options index and expected state. */
export function expectedFuses(configText) {
  const fuses = yaml.load(configText)?.electronFuses;
  if (!fuses || typeof fuses !== 'object') throw new Error('electron-builder.yml sets no electronFuses.');
  return Object.entries(fuses).map(([key, on]) => {
    const name = key[0].toUpperCase() + key.slice(1);
    const index = FuseV1Options[name];
    if (typeof index !== 'number') throw new Error(`electron-builder.yml names a fuse @electron/fuses does not know: ${key}.`);
    return { name, index, want: on ? FuseState.ENABLE : FuseState.DISABLE };
  });
}

const stateName = (s) => ({ [FuseState.ENABLE]: 'on', [FuseState.DISABLE]: 'off', [FuseState.INHERIT]: 'inherited', [FuseState.REMOVED]: 'removed' })[s] ?? `unknown (${s})`;

async function checkBinary(binary, expected) {
  if (!existsSync(binary)) return [`${binary}: no such file.`];
  let wire;
  try {
    wire = await getCurrentFuseWire(binary);
  } catch (err) {
    return [`${binary}: ${err instanceof Error ? err.message : String(err)}`];
  }
  const problems = [];
  process.stdout.write(`${binary}\n`);
  for (const { name, index, want } of expected) {
    const got = wire[index];
    const ok = got === want;
    process.stdout.write(`  ${ok ? 'ok  ' : 'DIFF'} ${name}: ${stateName(got)} (want ${stateName(want)})\n`);
    if (!ok) problems.push(`${binary}: ${name} is ${stateName(got)}, electron-builder.yml wants ${stateName(want)}.`);
  }
  return problems;
}

if (process.argv[1] === import.meta.filename) {
  const binaries = process.argv.slice(2);
  if (binaries.length === 0) {
    process.stderr.write('usage: node scripts/check-fuses.mjs BINARY...\n');
    process.exit(2);
  }
  try {
    const expected = expectedFuses(readFileSync(join(root, 'electron-builder.yml'), 'utf8'));
    const problems = [];
    for (const binary of binaries) problems.push(...(await checkBinary(binary, expected)));
    for (const p of problems) process.stderr.write(`check-fuses: ${p}\n`);
    process.stdout.write(`check-fuses: ${binaries.length} binaries, ${expected.length} fuses each, ${problems.length} problems\n`);
    process.exit(problems.length ? 1 : 0);
  } catch (err) {
    process.stderr.write(`check-fuses: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}

// Bundles the Windows-side test and bench probes (scripts/wine/probes/*.ts, which import our real modules from
// src-main) into CommonJS under .cache/win/app/probes, with koffi left external so it resolves to the Windows
// koffi staged beside them. Uses rolldown, the bundler electron-vite already runs on.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'rolldown';
import { appDir } from './wine-env.mjs';

const probesDir = join(import.meta.dirname, 'probes');

export async function buildProbes() {
  const input = Object.fromEntries(
    readdirSync(probesDir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => [f.replace(/\.ts$/, ''), join(probesDir, f)]),
  );
  await build({
    input,
    platform: 'node',
    external: ['koffi'],
    logLevel: 'warn',
    output: { dir: join(appDir, 'probes'), format: 'cjs', entryFileNames: '[name].js' },
  });
  return join(appDir, 'probes');
}

// Loads our MDMP reader (TypeScript in src-main/analysis/minidump) into the Linux-side test runner by bundling it
// with rolldown to .cache/win/linux-reader.mjs: the Windows suite judges dumps with the same code the app uses.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'rolldown';
import { cacheDir, root } from './wine-env.mjs';

export async function loadMinidumpReader() {
  const dir = join(cacheDir, 'linux-reader');
  await build({
    input: join(root, 'src-main', 'analysis', 'minidump', 'minidump-reader.ts'),
    platform: 'node',
    logLevel: 'warn',
    output: { dir, format: 'esm', entryFileNames: 'minidump-reader.mjs' },
  });
  return import(pathToFileURL(join(dir, 'minidump-reader.mjs')).href);
}

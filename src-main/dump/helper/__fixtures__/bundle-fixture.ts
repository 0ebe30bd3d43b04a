/*
 * Bundles a TypeScript fixture entry into CommonJS for a child process (Node 20 cannot run .ts). Dependencies
 * stay external and resolve through NODE_PATH=<repo>/node_modules, which every user may read here.
 */
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'rolldown';

export const REPO_NODE_MODULES = resolve(__dirname, '../../../../node_modules');

/** Returns the path of the bundled entry, in a fresh folder readable by every user. */
export async function bundleFixture(entry: string): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'procscope-fixture-'));
  await chmod(outDir, 0o755);
  await build({
    input: entry,
    platform: 'node',
    external: [/^node:/, 'koffi', 'zod', 'ws'],
    logLevel: 'silent',
    output: { dir: outDir, format: 'cjs', entryFileNames: 'entry.cjs', chunkFileNames: '[name]-[hash].cjs' },
  });
  return join(outDir, 'entry.cjs');
}

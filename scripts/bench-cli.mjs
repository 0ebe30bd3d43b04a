// The CLI bundled privately for a benchmark, from the sources as they are now (never out/, which a build or
// another run may be replacing). Run it with cliEnv: its bundle leaves koffi, zod and ws to NODE_PATH.
import { join } from 'node:path';
import { build } from 'rolldown';

const root = join(import.meta.dirname, '..');

export const cliEnv = { ...process.env, NODE_PATH: join(root, 'node_modules') };

/** Bundles src-main/cli/cli-entry.ts into dir; returns the script to run with node. */
export async function bundleCli(dir) {
  await build({
    input: join(root, 'src-main/cli/cli-entry.ts'),
    platform: 'node',
    external: [/^node:/, 'koffi', 'zod', 'ws', 'electron'],
    logLevel: 'silent',
    output: { dir, format: 'cjs', entryFileNames: 'cli.cjs', chunkFileNames: '[name]-[hash].cjs' },
  });
  return join(dir, 'cli.cjs');
}

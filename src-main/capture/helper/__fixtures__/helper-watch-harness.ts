/*
 * What the Linux tests of the helper's watch job share: the capture-parent C fixture compiled once, the bundled
 * helper entry (`helper-watch-entry.ts`), and the watches, parents and folders each test leaves for afterEach to
 * stop, kill and remove. Call useHelperWatchHarness() at the top level of a test file; it registers the hooks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { bundleFixture, REPO_NODE_MODULES } from '../../../dump/helper/__fixtures__/bundle-fixture';
import type { CaptureWatch } from '../../capture-engine';
import { compileCaptureParentSync, startCaptureParent, type RunningParent } from '../../linux/__fixtures__/capture-parent';

export interface HelperWatchHarness {
  /** The environment the helper runs with (its dependencies resolve through NODE_PATH). */
  readonly env: NodeJS.ProcessEnv;
  /** The compiled capture parent (valid from beforeAll on). */
  readonly exe: string;
  /** The bundled helper entry (valid from beforeAll on). */
  readonly entry: string;
  /** Stopped after each test. */
  readonly watches: CaptureWatch[];
  /** A capture parent started with `args`, killed after the test. */
  parent(args: string[]): Promise<RunningParent>;
  /** A fresh folder under the temp folder, removed after the test. */
  newDir(prefix: string): string;
}

export function useHelperWatchHarness(): HelperWatchHarness {
  let fixture: { dir: string; exe: string } | null = null;
  let entry: string | null = null;
  const dirs: string[] = [];
  const parents: RunningParent[] = [];
  const watches: CaptureWatch[] = [];
  beforeAll(async () => {
    fixture = compileCaptureParentSync();
    entry = await bundleFixture(join(import.meta.dirname, 'helper-watch-entry.ts'));
  });
  afterAll(() => {
    if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
    if (entry) rmSync(dirname(entry), { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const w of watches.splice(0)) await w.stop();
    for (const p of parents.splice(0)) p.kill();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    env: { ...process.env, NODE_PATH: REPO_NODE_MODULES },
    get exe() {
      return fixture!.exe;
    },
    get entry() {
      return entry!;
    },
    watches,
    async parent(args) {
      const p = await startCaptureParent(fixture!.exe, args);
      parents.push(p);
      return p;
    },
    newDir(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
  };
}

/** Polls `test` every `everyMs` until it holds, or fails naming `what` after `timeoutMs`. */
export async function until(what: string, test: () => boolean, timeoutMs = 20_000, everyMs = 20): Promise<void> {
  const t0 = Date.now();
  while (!test()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

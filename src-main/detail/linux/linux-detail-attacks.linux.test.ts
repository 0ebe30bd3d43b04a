// Attacks on the detail channels from a host that runs as `nobody`: root's processes (pid 1, a C target started
// by root) answer 'access-denied' per part or for the whole call — never data, never a throw out of the handler,
// never a thread left stopped — through the real handlers and Linux source, bundled and run under setpriv.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_PARTS } from '../../../src-shared/model/process-detail';
import { bundleFixture, REPO_NODE_MODULES } from '../../dump/helper/__fixtures__/bundle-fixture';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { statStateOf } from '../../platform/linux/proc-stat';
import { compileDetailFixture, startDetailTarget, type DetailFixture, type RunningDetailTarget } from './__fixtures__/detail-target';

const NOBODY = 65534;
let entry: string;
let fixture: DetailFixture;
let target: RunningDetailTarget;

beforeAll(async () => {
  entry = await bundleFixture(join(import.meta.dirname, '__fixtures__/as-other-user-entry.ts'));
  fixture = compileDetailFixture();
  target = await startDetailTarget(fixture, { PROCSCOPE_DETAIL_SECRET: 'root-only-secret' });
}, 60_000);

afterAll(async () => {
  await target?.stop();
  fixture?.cleanup();
  if (entry) rmSync(dirname(entry), { recursive: true, force: true });
});

function asNobody(calls: { channel: string; args: unknown }[]): unknown[] {
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, entry, JSON.stringify(calls)], {
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: REPO_NODE_MODULES },
    timeout: 30_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown);
}

describe.runIf(process.getuid?.() === 0)('detail channels as nobody on root\'s processes', () => {
  it('pid 1 and a root process: the private parts are access-denied, the rest answers, nothing throws', () => {
    const init = { pid: 1, startTimeMs: readProcessStartTimeMs(1)! };
    const root = { pid: target.pid, startTimeMs: readProcessStartTimeMs(target.pid)! };
    const answers = asNobody([
      { channel: 'procscope:get-process-detail', args: { ...init, parts: [...DETAIL_PARTS] } },
      { channel: 'procscope:get-process-detail', args: { ...root, parts: [...DETAIL_PARTS] } },
      { channel: 'procscope:get-thread-stack', args: { ...root, tid: target.parkedTid } },
      { channel: 'procscope:thread-action', args: { ...root, tid: target.parkedTid, action: 'suspend' } },
      { channel: 'procscope:get-process-detail', args: { ...root, startTimeMs: root.startTimeMs + 1, parts: ['environment'] } },
      { channel: 'procscope:find-handle-or-dll', args: { query: 'held-open-marker' } },
      { channel: 'procscope:get-process-detail', args: { ...root, parts: ['environment', 'environment'] } },
      { channel: 'procscope:get-thread-stack', args: { ...root, tid: -1 } },
      { channel: 'procscope:thread-action', args: { ...root, tid: target.parkedTid, action: 'kill' } },
      { channel: 'procscope:thread-action', args: { ...root, tid: target.parkedTid, action: 'resume' } },
    ]) as { ok: boolean; value?: Record<string, { ok: boolean; error?: { code: string; message: string }; value?: unknown }>; error?: { code: string; message: string } }[];
    for (const a of answers) expect(a).not.toHaveProperty('threw');
    for (const d of [answers[0]!, answers[1]!]) {
      expect(d.ok).toBe(true);
      for (const part of ['environment', 'handles', 'sockets']) {
        expect(d.value![part], part).toMatchObject({ ok: false, error: { code: 'access-denied', message: expect.stringMatching(/needs elevation/) } });
      }
      // What any user may read still answers: the tabs show it rather than blanking.
      expect(d.value!.threads).toMatchObject({ ok: true });
      expect(d.value!.image).toMatchObject({ ok: true, value: { exePath: null, user: 'root' } });
    }
    expect(JSON.stringify(answers[1])).not.toContain('root-only-secret');
    expect(answers[1]!.value!.modules).toMatchObject({ ok: false, error: { code: 'access-denied' } });
    expect(answers[2]).toMatchObject({ ok: false, error: { code: 'access-denied' } });
    // Suspend and Kill need ptrace rights over the thread: refused as the stack read is, the thread untouched.
    expect(answers[3]).toMatchObject({ ok: false, error: { code: 'access-denied', message: expect.stringMatching(/needs elevation/) } });
    expect(answers[8]).toMatchObject({ ok: false, error: { code: 'access-denied', message: expect.stringMatching(/needs elevation/) } });
    expect(answers[9]).toMatchObject({ ok: false, error: { message: expect.stringMatching(/not suspended by Procscope/) } });
    expect(answers[4]).toMatchObject({ ok: false, error: { code: 'pid-recycled' } });
    expect(answers[5]).toMatchObject({ ok: true });
    expect(answers[6]).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(answers[7]).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(statStateOf(readFileSync(`/proc/${target.pid}/task/${target.parkedTid}/stat`, 'latin1'))).not.toBe('t');
    expect(existsSync(`/proc/${target.pid}/task/${target.parkedTid}`), 'the kill refused as nobody left the thread alive').toBe(true);
  }, 60_000);
});

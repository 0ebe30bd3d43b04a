// The app's side of the two-step answer (issue 15): a helper says `saved` (file complete, target running), then
// `result` (the same dump with its hash). A scripted helper — an Elevator that connects to the real channel in this
// process and sends what a compromised or confused helper might — checks that the hash is only ever taken for the
// file that was saved, of the process and kind that were asked for; anything else is refused with a sentence.
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { DumpRequest, DumpResult } from '../../../src-shared/model/dump';
import { DumpError } from '../dump-writer';
import type { Elevator } from './elevator';
import { replyAddress } from './helper-args';
import { createHelperDumpWriter } from './helper-dump-writer';
import { encodeMessage, HELPER_PROTOCOL_VERSION, type HelperMessage } from './helper-protocol';

const REQUEST: DumpRequest = { pid: 4242, startTimeMs: 1000, kind: 'full', outDir: '/srv/dumps' };
const SAVED: DumpResult = {
  path: '/srv/dumps/x_4242_20261202_010203_full.core', kind: 'full', pid: 4242, bytesOnDisk: 8192, fileBytes: 9000, sha256: null,
  hash: 'computing', fileCompleteMs: 40, durationMs: 40, targetPauseMs: 12, unreadableBytes: 0, method: 'live', format: 'elf-core',
};
const HASHED: DumpResult = { ...SAVED, sha256: 'ab'.repeat(32), hash: 'done', hashDoneMs: 90, durationMs: 95 };

/** An elevator whose "helper" proves the secret, waits for the welcome, then sends `script` line by line. */
function scriptedElevator(script: readonly (HelperMessage | 'wait-cancel')[]): Elevator {
  return {
    kind: 'direct',
    async run(_executable, args) {
      const reply = replyAddress(args, process.platform);
      if (!reply) throw new Error('no channel in the helper arguments');
      const socket: Socket = await new Promise((resolve, reject) => {
        const s = connect(reply.channel, () => resolve(s));
        s.once('error', reject);
      });
      const lines: string[] = [];
      let waiting: (() => void) | null = null;
      socket.on('data', (chunk) => {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        waiting?.();
      });
      const next = async (kind: string): Promise<void> => {
        while (!lines.some((l) => l.includes(`"kind":"${kind}"`))) await new Promise<void>((r) => (waiting = r));
      };
      socket.write(encodeMessage({ v: HELPER_PROTOCOL_VERSION, kind: 'hello', secret: reply.secret }));
      await next('welcome');
      for (const step of script) {
        if (step === 'wait-cancel') await next('cancel');
        else socket.write(encodeMessage(step));
      }
      socket.end();
      await new Promise((r) => socket.once('close', r));
      return 0;
    },
  };
}

function writerFor(script: readonly (HelperMessage | 'wait-cancel')[]) {
  return createHelperDumpWriter({ elevator: scriptedElevator(script), command: { executable: '/bin/false', args: [] }, uid: process.getuid?.() ?? null, format: 'elf-core' });
}

const v = HELPER_PROTOCOL_VERSION;

describe('helper answer in two steps: saved, then the hash', () => {
  it('reports the saved file at once and then the same file with its hash', async () => {
    const seen: string[] = [];
    const result = await writerFor([
      { v, kind: 'saved', result: SAVED },
      { v, kind: 'result', result: HASHED },
    ]).write(REQUEST, { onFileComplete: (r) => seen.push(`saved ${r.path} ${r.hash} ${String(r.sha256)}`) });
    seen.push(`result ${result.sha256}`);
    expect(seen).toEqual([`saved ${SAVED.path} computing null`, `result ${'ab'.repeat(32)}`]);
  });

  it.each([
    ['a hash for another path', { ...HASHED, path: '/etc/shadow' }, /a hash for \/etc\/shadow, not for the dump it saved/],
    ['a hash for another length of file', { ...HASHED, fileBytes: 1 }, /not for the dump it saved/],
    ['a hash for another pause', { ...HASHED, targetPauseMs: 1 }, /not for the dump it saved/],
    ['a hash for another process', { ...HASHED, pid: 1 }, /a result for another process or kind \(pid 1, full\)/],
    ['a hash for another kind', { ...HASHED, kind: 'mini' as const }, /a result for another process or kind \(pid 4242, mini\)/],
  ])('refuses %s', async (_name, result, message) => {
    const saved: string[] = [];
    const write = writerFor([
      { v, kind: 'saved', result: SAVED },
      { v, kind: 'result', result },
    ]).write(REQUEST, { onFileComplete: (r) => saved.push(r.path) });
    await expect(write).rejects.toThrow(DumpError);
    await expect(write).rejects.toThrow(message);
    expect(saved).toEqual([SAVED.path]);
  });

  it('refuses a saved dump of another process, and a second saved message', async () => {
    const other: string[] = [];
    await expect(
      writerFor([{ v, kind: 'saved', result: { ...SAVED, pid: 1 } }]).write(REQUEST, { onFileComplete: (r) => other.push(r.path) }),
    ).rejects.toThrow(/a saved dump of another process or kind \(pid 1, full\)/);
    expect(other).toEqual([]); // never reported as saved
    await expect(
      writerFor([
        { v, kind: 'saved', result: SAVED },
        { v, kind: 'saved', result: { ...SAVED, path: '/srv/dumps/other.core' } },
        { v, kind: 'result', result: HASHED },
      ]).write(REQUEST),
    ).rejects.toThrow(/a second saved dump during one job/);
  });

  it('refuses a saved message that already claims a hash (the strict schema)', async () => {
    const saved: string[] = [];
    const write = writerFor([
      { v, kind: 'saved', result: { ...SAVED, sha256: 'cd'.repeat(32) } } as HelperMessage,
      { v, kind: 'result', result: HASHED },
    ]).write(REQUEST, { onFileComplete: (r) => saved.push(r.path) });
    await expect(write).rejects.toThrow(/a saved dump has no hash yet/);
    expect(saved).toEqual([]);
  });

  it('a cancel after saved reaches the helper, whose answer is the saved file without a hash', async () => {
    const abort = new AbortController();
    const cancelledHash: DumpResult = { ...SAVED, hash: 'failed', hashError: { code: 'cancelled', message: 'The hash was cancelled; the dump file is saved and kept.' } };
    const result = await writerFor([{ v, kind: 'saved', result: SAVED }, 'wait-cancel', { v, kind: 'result', result: cancelledHash }]).write(REQUEST, {
      signal: abort.signal,
      onFileComplete: () => abort.abort(),
    });
    expect(result).toMatchObject({ path: SAVED.path, sha256: null, hash: 'failed', hashError: { code: 'cancelled' } });
  });
});

import { stat } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DumpErrorInfo } from '../../../src-shared/model/dump';
import { openHelperChannel, type ProvenHelperMessage } from './helper-channel';
import { encodeMessage } from './helper-protocol';

function dial(address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(address);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

describe('helper channel', () => {
  it('lives in a private folder, serves exactly one connection, and leaves nothing behind', async () => {
    const messages: ProvenHelperMessage[] = [];
    let failure: DumpErrorInfo | null = null;
    const channel = await openHelperChannel({ onMessage: (m) => messages.push(m), onFailure: (e) => (failure = e), onClose: () => {} });
    expect(channel.secret).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(dirname(channel.address))).mode & 0o777).toBe(0o700);

    const first = await dial(channel.address);
    const replies: string[] = [];
    first.on('data', (d: Buffer) => replies.push(d.toString()));
    first.write(encodeMessage({ v: 1, kind: 'hello', secret: channel.secret }));
    await new Promise((r) => setTimeout(r, 50));
    expect(channel.isConnected()).toBe(true);
    expect(replies.join('')).toBe('{"v":1,"kind":"welcome"}\n');
    // The server stopped listening at the first connection: nobody else gets in.
    await expect(dial(channel.address)).rejects.toMatchObject({ code: expect.stringMatching(/ECONNREFUSED|ENOENT/) });
    // Its private folder went with the listener: a host killed while the helper still works (SIGKILL, a crash)
    // leaves nothing in the temp folder.
    await expect(stat(dirname(channel.address))).rejects.toMatchObject({ code: 'ENOENT' });

    first.write(encodeMessage({ v: 1, kind: 'progress', progress: { bytesWritten: 5, estimatedTotalBytes: 10, elapsedMs: 1.5, phase: 'writing' } }));
    await new Promise((r) => setTimeout(r, 50));
    expect(messages).toEqual([{ v: 1, kind: 'progress', progress: { bytesWritten: 5, estimatedTotalBytes: 10, elapsedMs: 1.5, phase: 'writing' } }]);
    // A second hello after the secret was proven is a protocol error.
    first.write(encodeMessage({ v: 1, kind: 'hello', secret: channel.secret }));
    await new Promise((r) => setTimeout(r, 50));
    expect(failure).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/second hello/) });
    await channel.close();
    await expect(stat(dirname(channel.address))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a first message that is not a hello, even a well-formed one', async () => {
    let failure: DumpErrorInfo | null = null;
    const channel = await openHelperChannel({ onMessage: () => {}, onFailure: (e) => (failure = e), onClose: () => {} });
    const s = await dial(channel.address);
    s.write(encodeMessage({ v: 1, kind: 'result', result: {
      path: '/x', kind: 'full', pid: 1, bytesOnDisk: 0, fileBytes: 0, sha256: 'a'.repeat(64), durationMs: 0, targetPauseMs: 0,
      unreadableBytes: 0, method: 'live', format: 'elf-core',
    } }));
    await new Promise((r) => s.once('close', r));
    expect(failure).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/without the job's one-time secret/) });
    await channel.close();
  });
});

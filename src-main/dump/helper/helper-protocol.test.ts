import { describe, expect, it } from 'vitest';
import {
  createLineSplitter,
  decodeAppMessage,
  decodeHelperMessage,
  dispatch,
  encodeMessage,
  MAX_LINE_BYTES,
  type Handlers,
  type HelperMessage,
} from './helper-protocol';

const result = {
  path: '/home/a/x.core', kind: 'full', pid: 5, bytesOnDisk: 4096, fileBytes: 5000, sha256: 'c'.repeat(64),
  durationMs: 3, targetPauseMs: 1, unreadableBytes: 0, method: 'live', format: 'elf-core',
} as const;

describe('helper protocol', () => {
  it('round-trips every helper message kind through one dispatch table', () => {
    const seen: string[] = [];
    const handlers: Handlers<HelperMessage> = {
      hello: (m) => seen.push(`hello ${m.secret.length}`),
      progress: (m) => seen.push(`progress ${m.progress.bytesWritten}`),
      saved: (m) => seen.push(`saved ${m.result.path} ${m.result.hash}`),
      result: (m) => seen.push(`result ${m.result.path}`),
      error: (m) => seen.push(`error ${m.error.code}`),
      capture: (m) => seen.push(`capture ${m.event.event}`),
      persist: (m) => seen.push(`persist ${m.report.action}`),
    };
    const messages: HelperMessage[] = [
      { v: 1, kind: 'hello', secret: 'a'.repeat(64) },
      { v: 1, kind: 'progress', progress: { bytesWritten: 10, estimatedTotalBytes: null, elapsedMs: 2, phase: 'writing' } },
      { v: 1, kind: 'saved', result: { ...result, sha256: null, hash: 'computing', fileCompleteMs: 2 } },
      { v: 1, kind: 'result', result },
      { v: 1, kind: 'error', error: { code: 'process-gone', message: 'Gone.' } },
      { v: 1, kind: 'capture', event: { event: 'done', atMs: 9, reason: 'stopped', seenCount: 1, dumpCount: 0 } },
      { v: 1, kind: 'persist', report: { action: 'list', entries: [{ image: 'hostname.exe', trigger: 'exit', kind: 'full', folder: 'C:\\d' }], changedKeys: [], notes: [] } },
    ];
    for (const m of messages) {
      const line = encodeMessage(m);
      expect(line.endsWith('\n')).toBe(true);
      const d = decodeHelperMessage(line.trimEnd());
      if (!d.ok) throw new Error(d.error);
      dispatch(handlers, d.message);
    }
    expect(seen).toEqual(['hello 64', 'progress 10', 'saved /home/a/x.core computing', 'result /home/a/x.core', 'error process-gone', 'capture done', 'persist list']);
  });

  it('refuses malformed messages with a sentence naming what is wrong', () => {
    expect(decodeHelperMessage('not json')).toEqual({ ok: false, error: 'The helper sent a line that is not JSON.' });
    expect(decodeHelperMessage('{"v":2,"kind":"hello","secret":"x"}')).toEqual({
      ok: false,
      error: 'The helper speaks protocol version 2; this build speaks 1.',
    });
    const unknownKind = decodeHelperMessage('{"v":1,"kind":"shell","command":"rm -rf /"}');
    expect(unknownKind.ok).toBe(false);
    expect(!unknownKind.ok && unknownKind.error).toMatch(/^The helper sent a malformed message at kind/);
    const negative = decodeHelperMessage(JSON.stringify({ v: 1, kind: 'progress', progress: { bytesWritten: -1, estimatedTotalBytes: null, elapsedMs: 0, phase: 'writing' } }));
    expect(!negative.ok && negative.error).toMatch(/at progress\.bytesWritten/);
    const extra = decodeHelperMessage(JSON.stringify({ v: 1, kind: 'result', result: { ...result, sha256: 'zz' } }));
    expect(!extra.ok && extra.error).toMatch(/at result\.sha256/);
    const badCode = decodeHelperMessage(JSON.stringify({ v: 1, kind: 'error', error: { code: 'pwned', message: 'x' } }));
    expect(badCode.ok).toBe(false);
    expect(decodeAppMessage('{"v":1,"kind":"welcome"}')).toEqual({ ok: true, message: { v: 1, kind: 'welcome' } });
    expect(decodeAppMessage('{"v":1,"kind":"cancel","now":true}').ok).toBe(false);
    expect(decodeHelperMessage('x'.repeat(MAX_LINE_BYTES + 1))).toMatchObject({ ok: false, error: expect.stringMatching(/longer than/) });
  });

  it('keeps saved and result strict: a saved dump has no hash yet, a final result no hash still computing', () => {
    const msg = (kind: 'saved' | 'result', r: object): string | true => {
      const d = decodeHelperMessage(JSON.stringify({ v: 1, kind, result: r }));
      return d.ok || d.error;
    };
    const saved = { ...result, sha256: null, hash: 'computing', fileCompleteMs: 2 };
    expect(msg('saved', saved)).toBe(true);
    expect(msg('saved', { ...saved, hash: 'skipped' })).toBe(true);
    // A saved message may not smuggle a hash, a failure, a pack path or a field of its own.
    expect(msg('saved', { ...saved, sha256: 'c'.repeat(64) })).toMatch(/a saved dump has no hash yet/);
    expect(msg('saved', { ...saved, hash: 'done' })).toMatch(/a saved dump has no hash yet/);
    expect(msg('saved', { ...saved, analysisPackPath: '/etc/shadow' })).toMatch(/a saved dump has no hash yet/);
    expect(msg('saved', { ...saved, hashError: { code: 'io-error', message: 'x' } })).toMatch(/a saved dump has no hash yet/);
    expect(msg('saved', { ...saved, extra: 1 })).toMatch(/malformed message at result/);
    expect(msg('saved', { ...saved, hash: 'maybe' })).toMatch(/at result\.hash/);
    // The final result: a hash that is done carries it, a failed one says why, none is still computing.
    expect(msg('result', { ...result, hash: 'done', hashDoneMs: 3 })).toBe(true);
    expect(msg('result', { ...result, sha256: null, hash: 'skipped' })).toBe(true);
    expect(msg('result', { ...result, sha256: null, hash: 'failed', hashError: { code: 'cancelled', message: 'Stopped.' } })).toBe(true);
    expect(msg('result', { ...result, sha256: null, hash: 'computing' })).toMatch(/the hash state does not match the hash/);
    expect(msg('result', { ...result, sha256: null, hash: 'done' })).toMatch(/the hash state does not match the hash/);
    expect(msg('result', { ...result, sha256: null })).toMatch(/the hash state does not match the hash/);
    expect(msg('result', { ...result, hash: 'failed', hashError: { code: 'io-error', message: 'x' } })).toMatch(/the hash state does not match the hash/);
    expect(msg('result', { ...result, sha256: null, hash: 'failed' })).toMatch(/the hash state does not match the hash/);
    expect(msg('result', { ...result, fileCompleteMs: -1 })).toMatch(/at result\.fileCompleteMs/);
  });

  it('carries every capture event kind of a watch, field for field, and refuses anything else in one', () => {
    const events = [
      { event: 'armed', atMs: 1, pid: 42, mechanism: 'ptrace', limits: ['one limit'] },
      { event: 'seen', atMs: 2, pid: 43, ppid: 42, name: 'Calamari', cmdline: 'Calamari run', startTimeMs: 2 },
      { event: 'dump', atMs: 3, pid: 43, name: 'Calamari', trigger: 'exit', path: '/d/c.core', fileBytes: 9, sha256: 'a'.repeat(64), targetPauseMs: 1.5, unreadableBytes: 0 },
      { event: 'exited', atMs: 4, pid: 43, name: 'Calamari', exitCode: 0xc0000005, signal: null, lifetimeMs: 0.25 },
      { event: 'error', atMs: 5, pid: null, trigger: null, error: { code: 'io-error', message: 'Broken.' } },
      { event: 'done', atMs: 6, reason: 'error', seenCount: 1, dumpCount: 1 },
      { event: 'held', atMs: 2.5, pid: 43, name: 'Calamari', trigger: 'exit', deadlineMs: 60_002.5 },
    ];
    for (const event of events) expect(decodeHelperMessage(JSON.stringify({ v: 1, kind: 'capture', event }))).toEqual({ ok: true, message: { v: 1, kind: 'capture', event } });
    const bad = (event: object): string | false => {
      const d = decodeHelperMessage(JSON.stringify({ v: 1, kind: 'capture', event }));
      return !d.ok && d.error;
    };
    expect(bad({ ...events[0], shell: 'rm -rf /' })).toMatch(/malformed message at event/);
    expect(bad({ ...events[1], pid: 0 })).toMatch(/at event\.pid/);
    expect(bad({ ...events[1], cmdline: 'x'.repeat(8001) })).toMatch(/at event\.cmdline/);
    expect(bad({ ...events[2], trigger: 'whenever' })).toMatch(/at event\.trigger/);
    expect(bad({ ...events[2], sha256: 'Z'.repeat(64) })).toMatch(/at event\.sha256/);
    expect(bad({ ...events[5], reason: 'bored' })).toMatch(/at event\.reason/);
    expect(bad({ event: 'progress', atMs: 1 })).toMatch(/at event\.event/);
    expect(bad({ ...events[6], trigger: 'whenever' })).toMatch(/at event\.trigger/);
    expect(bad({ ...events[6], deadlineMs: -1 })).toMatch(/at event\.deadlineMs/);
    expect(bad({ ...events[6], name: 'x'.repeat(1025) })).toMatch(/at event\.name/);
    expect(bad({ ...events[6], release: false })).toMatch(/malformed message at event/);
    expect(decodeAppMessage('{"v":1,"kind":"stop"}')).toEqual({ ok: true, message: { v: 1, kind: 'stop' } });
    expect(decodeAppMessage('{"v":1,"kind":"stop","pid":1}').ok).toBe(false);
  });

  it('splits a byte stream into lines across chunk boundaries and stops at an oversized line', () => {
    const lines: string[] = [];
    let overflowed = 0;
    const s = createLineSplitter((l) => lines.push(l), () => overflowed++);
    s.push(Buffer.from('{"a":1}\n{"b"'));
    s.push(Buffer.from(':2}\n\n{"c":3}'));
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
    s.push(Buffer.from('\n'));
    expect(lines).toHaveLength(3);
    s.push(Buffer.alloc(MAX_LINE_BYTES + 10, 0x61));
    expect(overflowed).toBe(1);
    s.push(Buffer.from('\n{"d":4}\n'));
    expect(lines).toHaveLength(3);
  });
});

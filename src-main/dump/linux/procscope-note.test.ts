// Procscope's PROCSCOPE core note: encode → decode round trip, every malformed shape refused with a sentence, and
// the core reader's handling — a good note read, a bad one ignored with a quality note, the core still opened.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildSyntheticCore } from '../../analysis/elf/__fixtures__/synthetic-core';
import { openElfCore } from '../../analysis/elf/elf-core-reader';
import { decodeProcscopeNote, encodeProcscopeNote, PROCSCOPE_WRITER, ProcscopeNoteError } from './procscope-note';

const INFO = { dumpKind: 'full', processStartTimeMs: 1_764_000_000_123, threads: [{ tid: 4242, name: 'main' }, { tid: 4243, name: 'ThreadPoolForeg' }, { tid: 4244, name: null }] };

function withJson(json: string, format = 1, length?: number): Buffer {
  const body = Buffer.from(json, 'utf8');
  const b = Buffer.alloc(8 + body.length);
  b.writeUInt32LE(format, 0);
  b.writeUInt32LE(length ?? body.length, 4);
  body.copy(b, 8);
  return b;
}

describe('the PROCSCOPE note', () => {
  it('round-trips names (null too), the kind, the start time and the writer', () => {
    const decoded = decodeProcscopeNote(encodeProcscopeNote(INFO));
    expect(decoded).toEqual({ ...INFO, writer: PROCSCOPE_WRITER });
    expect(PROCSCOPE_WRITER).toMatch(/^procscope \d+\.\d+\.\d+ \(core writer \d+\)$/);
  });

  it.each([
    ['a short header', Buffer.alloc(5), /fewer than its 8-byte header/],
    ['another format', withJson('{}', 2), /format 2/],
    ['a length past the end', withJson('{}', 1, 3), /claims 3 bytes of content but holds 2/],
    ['a huge length', withJson('{}', 1, 0xffffffff), /more than/],
    ['not JSON', withJson('{"writer":'), /not valid UTF-8 JSON/],
    ['bad UTF-8', Buffer.concat([Buffer.from([1, 0, 0, 0, 3, 0, 0, 0]), Buffer.from([0x22, 0xff, 0x22])]), /not valid UTF-8 JSON/],
    ['an array', withJson('[]'), /not a JSON object/],
    ['no writer', withJson('{"dumpKind":"mini","processStartTimeMs":null,"threads":[]}'), /writer/],
    ['a start time that is text', withJson('{"writer":"w","dumpKind":"mini","processStartTimeMs":"x","threads":[]}'), /start time/],
    ['no thread list', withJson('{"writer":"w","dumpKind":"mini","processStartTimeMs":null}'), /thread list/],
    ['a negative tid', withJson('{"writer":"w","dumpKind":"mini","processStartTimeMs":null,"threads":[{"tid":-1,"name":"x"}]}'), /thread 0 has no valid tid/],
    ['a name that is not text', withJson('{"writer":"w","dumpKind":"mini","processStartTimeMs":null,"threads":[{"tid":1,"name":7}]}'), /thread 0 has a name/],
    ['a name of 65 characters', withJson(JSON.stringify({ writer: 'w', dumpKind: 'mini', processStartTimeMs: null, threads: [{ tid: 1, name: 'x'.repeat(65) }] })), /up to 64/],
  ])('refuses %s with a sentence', (_what, desc, message) => {
    expect(() => decodeProcscopeNote(desc)).toThrow(ProcscopeNoteError);
    expect(() => decodeProcscopeNote(desc)).toThrow(message);
  });

  describe('in a core', () => {
    let dir: string | null = null;
    afterEach(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = null;
    });
    const open = async (procscopeNote?: Buffer) => {
      dir = mkdtempSync(join(tmpdir(), 'procscope-note-'));
      const path = join(dir, 'synthetic.core');
      writeFileSync(path, buildSyntheticCore({ threadCount: 3, procscopeNote }).bytes);
      return openElfCore(path);
    };

    it('is read from a core that has one', async () => {
      const core = await open(encodeProcscopeNote({ ...INFO, threads: INFO.threads.map((t, i) => ({ ...t, tid: 4242 + i })) }));
      try {
        expect(core.procscope?.threads.map((t) => t.name)).toEqual(['main', 'ThreadPoolForeg', null]);
        expect(core.procscope?.processStartTimeMs).toBe(INFO.processStartTimeMs);
        expect(core.noteProblems).toEqual([]);
        expect(core.threads).toHaveLength(3);
      } finally {
        await core.close();
      }
    });

    it('is ignored with a quality note when malformed, and the core still opens', async () => {
      const core = await open(withJson('{"writer":"w","threads":'));
      try {
        expect(core.procscope).toBeNull();
        expect(core.noteProblems).toEqual(['The PROCSCOPE note is not valid UTF-8 JSON. It was ignored: thread names and the process start time are unknown.']);
        expect(core.threads).toHaveLength(3);
      } finally {
        await core.close();
      }
    });

    it('is absent from other cores without a problem', async () => {
      const core = await open();
      try {
        expect(core.procscope).toBeNull();
        expect(core.noteProblems).toEqual([]);
      } finally {
        await core.close();
      }
    });
  });
});

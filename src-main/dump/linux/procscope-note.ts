/*
 * Procscope's own ELF core note (ANALYSIS.md §7.6 point 2): what a core cannot otherwise say — each thread's name
 * (comm, read while the threads are stopped), the dump kind asked for, which writer wrote it, and when the process
 * started (the report's uptime). Name "PROCSCOPE", type NT_PROCSCOPE_INFO; gdb, lldb and eu-stack skip notes of a
 * name they do not know. The desc is versioned and length-checked: u32 format version (1), u32 byte length of the
 * JSON that follows, the UTF-8 JSON, NUL padding. The writer (core-notes.ts) encodes it, the core reader
 * (analysis/elf) decodes it; a malformed one is refused with a sentence, which the reader turns into a quality note.
 * Pure.
 */
import packageJson from '../../../package.json';

export const PROCSCOPE_NOTE_NAME = 'PROCSCOPE';
/** 'PS' 0x0001: ours, unused by the kernel's and gdb's note types. */
export const NT_PROCSCOPE_INFO = 0x5053_0001;
export const PROCSCOPE_NOTE_FORMAT = 1;
/** Bumped when the writer changes what the core holds. */
export const CORE_WRITER_VERSION = 1;
export const PROCSCOPE_WRITER = `procscope ${packageJson.version} (core writer ${CORE_WRITER_VERSION})`;

const HEADER_BYTES = 8;
const MAX_JSON_BYTES = 8 * 2 ** 20;
const MAX_THREADS = 1 << 20;
/** comm is at most 15 bytes (TASK_COMM_LEN 16); leave room for a future longer name, refuse anything absurd. */
const MAX_NAME_CHARS = 64;
const MAX_TEXT_CHARS = 200;

export interface ProcscopeNoteInfo {
  writer: string;
  /** 'full' / 'mini' as the request asked. */
  dumpKind: string;
  /** Epoch ms, null when unknown. */
  processStartTimeMs: number | null;
  threads: { tid: number; name: string | null }[];
}

export function encodeProcscopeNote(info: Omit<ProcscopeNoteInfo, 'writer'> & { writer?: string }): Buffer {
  const json = Buffer.from(JSON.stringify({
    writer: info.writer ?? PROCSCOPE_WRITER,
    dumpKind: info.dumpKind,
    processStartTimeMs: info.processStartTimeMs,
    threads: info.threads.map((t) => ({ tid: t.tid, name: t.name })),
  }), 'utf8');
  const out = Buffer.alloc(HEADER_BYTES + json.length);
  out.writeUInt32LE(PROCSCOPE_NOTE_FORMAT, 0);
  out.writeUInt32LE(json.length, 4);
  json.copy(out, HEADER_BYTES);
  return out;
}

export class ProcscopeNoteError extends Error {}

const bad = (why: string): never => {
  throw new ProcscopeNoteError(`The PROCSCOPE note ${why}.`);
};

const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/** The note's content, or ProcscopeNoteError naming what is wrong with it. */
export function decodeProcscopeNote(desc: Buffer): ProcscopeNoteInfo {
  if (desc.length < HEADER_BYTES) bad(`has ${desc.length} bytes, fewer than its ${HEADER_BYTES}-byte header`);
  const format = desc.readUInt32LE(0);
  if (format !== PROCSCOPE_NOTE_FORMAT) bad(`is in format ${format}; this Procscope reads format ${PROCSCOPE_NOTE_FORMAT}`);
  const length = desc.readUInt32LE(4);
  if (length > MAX_JSON_BYTES) bad(`claims ${length} bytes of content, more than ${MAX_JSON_BYTES}`);
  if (HEADER_BYTES + length > desc.length) bad(`claims ${length} bytes of content but holds ${desc.length - HEADER_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(desc.subarray(HEADER_BYTES, HEADER_BYTES + length)));
  } catch {
    return bad('is not valid UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('is not a JSON object');
  const v = value as Record<string, unknown>;
  if (!isText(v.writer, MAX_TEXT_CHARS)) bad('has no writer string');
  if (!isText(v.dumpKind, MAX_TEXT_CHARS)) bad('has no dump kind string');
  const start = v.processStartTimeMs;
  if (start !== null && (typeof start !== 'number' || !Number.isFinite(start) || start < 0)) bad('has a process start time that is not a time');
  if (!Array.isArray(v.threads) || v.threads.length > MAX_THREADS) bad('has no thread list');
  const threads = (v.threads as unknown[]).map((t, i) => {
    const o = (typeof t === 'object' && t !== null ? t : {}) as Record<string, unknown>;
    if (!Number.isSafeInteger(o.tid) || (o.tid as number) <= 0) bad(`thread ${i} has no valid tid`);
    if (o.name !== null && !isText(o.name, MAX_NAME_CHARS)) bad(`thread ${i} has a name that is not a string of up to ${MAX_NAME_CHARS} characters`);
    return { tid: o.tid as number, name: o.name as string | null };
  });
  return { writer: v.writer as string, dumpKind: v.dumpKind as string, processStartTimeMs: start as number | null, threads };
}

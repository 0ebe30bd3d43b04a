/*
 * The wire protocol between the app and its elevated dump helper: newline-delimited JSON over a local channel,
 * each message a versioned discriminated union checked with zod on receipt. Both sides dispatch through a
 * Record<Kind, Handler> table, so adding a message kind without a handler does not compile (System Informer's
 * phsvc does the same with numbered operations). Nothing here trusts the other side: an unknown, oversized or
 * malformed line is refused with a sentence, never parsed leniently.
 */
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import type { CaptureEvent } from '../../../src-shared/model/capture';
import type { PersistReport } from '../../capture/persistent/persistent-apply';
import type { DumpErrorInfo, DumpProgress, DumpResult } from '../../../src-shared/model/dump';

export const HELPER_PROTOCOL_VERSION = 1;
/** A line longer than this is refused before JSON.parse sees it: no message of ours comes near it. */
export const MAX_LINE_BYTES = 64 * 1024;

const v = z.literal(HELPER_PROTOCOL_VERSION);
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** Durations may be fractional (performance.now() based). */
const ms = z.number().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const secretSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a 64-digit lowercase hex secret');

const errorCodeSchema = z.enum([
  'needs-elevation',
  'process-gone',
  'pid-recycled',
  'already-traced',
  'disk-full',
  'file-exists',
  'folder-unwritable',
  'bad-request',
  'cancelled',
  'elevation-cancelled',
  'unsupported',
  'io-error',
]);

export const dumpErrorInfoSchema = z.strictObject({ code: errorCodeSchema, message: z.string().min(1).max(2000) });

const progressSchema = z.strictObject({
  bytesWritten: count,
  estimatedTotalBytes: count.nullable(),
  elapsedMs: ms,
  phase: z.enum(['attaching', 'writing', 'finishing']),
});

const resultSchema = z.strictObject({
  path: z.string().min(1).max(4096),
  kind: z.enum(['full', 'mini']),
  pid: count,
  bytesOnDisk: count,
  fileBytes: count,
  sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  hash: z.enum(['computing', 'done', 'skipped', 'failed']).optional(),
  hashError: dumpErrorInfoSchema.optional(),
  fileCompleteMs: ms.optional(),
  hashDoneMs: ms.optional(),
  analysisPackMs: ms.optional(),
  durationMs: ms,
  targetPauseMs: ms,
  unreadableBytes: count,
  method: z.enum(['live', 'snapshot']),
  format: z.enum(['elf-core', 'minidump']),
  analysisPackPath: z.string().min(1).max(4096).optional(),
});

/** `saved` (issue 15): the file is complete and the target runs; the hash is still to come (or was not asked for). */
const savedResultSchema = resultSchema.refine(
  (r) => r.sha256 === null && (r.hash === 'computing' || r.hash === 'skipped') && r.hashError === undefined && r.analysisPackPath === undefined,
  { message: "a saved dump has no hash yet (sha256 null, hash 'computing' or 'skipped')" },
);

/** The final `result`: a hash that is done has one, a failed one says why, and nothing is still computing. */
const finalResultSchema = resultSchema.refine(
  (r) =>
    r.hash === undefined || r.hash === 'done'
      ? r.sha256 !== null && r.hashError === undefined
      : r.hash === 'failed'
        ? r.sha256 === null && r.hashError !== undefined
        : r.hash === 'skipped' && r.sha256 === null && r.hashError === undefined,
  { message: 'the hash state does not match the hash' },
);

/**
 * The longest text fields a watch's events may carry over the channel: the helper clips to these before sending
 * (a Linux command line can be megabytes), so one event line stays under MAX_LINE_BYTES even if every character
 * were JSON-escaped to six bytes.
 */
export const CAPTURE_WIRE_LIMITS = { nameChars: 1024, cmdlineChars: 8000, pathChars: 4096, limitChars: 500, limitCount: 20, mechanismChars: 200 } as const;

const pid = z.number().int().min(1).max(0xffffffff);
const triggerSchema = z.enum(['start', 'exit', 'crash', 'cpu', 'memory', 'series']);
const nameText = z.string().max(CAPTURE_WIRE_LIMITS.nameChars);
/** One CaptureEvent (src-shared/model/capture.ts), field for field. */
const captureEventSchema = z.discriminatedUnion('event', [
  z.strictObject({
    event: z.literal('armed'), atMs: ms, pid, mechanism: z.string().min(1).max(CAPTURE_WIRE_LIMITS.mechanismChars),
    limits: z.array(z.string().max(CAPTURE_WIRE_LIMITS.limitChars)).max(CAPTURE_WIRE_LIMITS.limitCount),
  }),
  z.strictObject({
    event: z.literal('seen'), atMs: ms, pid, ppid: count.max(0xffffffff), name: nameText,
    cmdline: z.string().max(CAPTURE_WIRE_LIMITS.cmdlineChars), startTimeMs: ms,
  }),
  z.strictObject({ event: z.literal('held'), atMs: ms, pid, name: nameText, trigger: triggerSchema, deadlineMs: ms }),
  z.strictObject({
    event: z.literal('exited'), atMs: ms, pid, name: nameText,
    // Windows exit codes are DWORDs (0xC0000005); Linux's are 0-255.
    exitCode: z.number().int().min(-0x80000000).max(0xffffffff).nullable(), signal: z.string().min(1).max(40).nullable(), lifetimeMs: ms,
  }),
  z.strictObject({
    event: z.literal('dump'), atMs: ms, pid, name: nameText, trigger: triggerSchema, path: z.string().min(1).max(CAPTURE_WIRE_LIMITS.pathChars),
    fileBytes: count, sha256: z.string().regex(/^[0-9a-f]{64}$/), targetPauseMs: ms, unreadableBytes: count,
  }),
  z.strictObject({ event: z.literal('error'), atMs: ms, pid: pid.nullable(), trigger: triggerSchema.nullable(), error: dumpErrorInfoSchema }),
  z.strictObject({
    event: z.literal('done'), atMs: ms, reason: z.enum(['target-exited', 'max-dumps', 'timeout', 'stopped', 'error']), seenCount: count, dumpCount: count,
  }),
]);

/** A persist job's answer (src-main/capture/persistent/persistent-apply.ts PersistReport), field for field. */
const persistReportSchema = z.strictObject({
  action: z.enum(['add', 'remove', 'list']),
  entries: z.array(z.strictObject({
    image: z.string().min(1).max(255), trigger: z.enum(['crash', 'exit']), kind: z.enum(['mini', 'full', 'other']), folder: z.string().max(4096).nullable(),
  })).max(200),
  changedKeys: z.array(z.string().max(600)).max(20),
  notes: z.array(z.string().max(2000)).max(20),
});

/**
 * Helper → app. `hello` must be the first line and carries the one-time secret. A dump job answers with
 * `progress`, `saved` (the file is complete and the target runs: the job is saved before its hash) and `result`
 * (the same dump with its hash; it must name the file `saved` named — helper-dump-writer.ts refuses any other); a watch job (--job=watch) with `capture` events, `armed` first and `done` last. `error`
 * is a refusal or failure of any job (for a watch, one that came before `armed`). A persist job (--job=persist)
 * answers with one `persist` report or an `error`.
 */
export const helperMessageSchema = z.discriminatedUnion('kind', [
  z.strictObject({ v, kind: z.literal('hello'), secret: secretSchema }),
  z.strictObject({ v, kind: z.literal('progress'), progress: progressSchema }),
  z.strictObject({ v, kind: z.literal('saved'), result: savedResultSchema }),
  z.strictObject({ v, kind: z.literal('result'), result: finalResultSchema }),
  z.strictObject({ v, kind: z.literal('error'), error: dumpErrorInfoSchema }),
  z.strictObject({ v, kind: z.literal('capture'), event: captureEventSchema }),
  z.strictObject({ v, kind: z.literal('persist'), report: persistReportSchema }),
]);

/**
 * App → helper. `welcome` accepts the hello; `cancel` asks the helper to stop a dump and remove its partial file;
 * `stop` asks it to end its watch, releasing every held process (closing the channel does the same).
 */
export const appMessageSchema = z.discriminatedUnion('kind', [
  z.strictObject({ v, kind: z.literal('welcome') }),
  z.strictObject({ v, kind: z.literal('cancel') }),
  z.strictObject({ v, kind: z.literal('stop') }),
]);

export type HelperMessage = z.infer<typeof helperMessageSchema>;
export type AppMessage = z.infer<typeof appMessageSchema>;

// The schemas must describe exactly the shared model types, or the app would hand the UI something else.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _progressMatches: Same<z.infer<typeof progressSchema>, DumpProgress> = true;
const _resultMatches: Same<z.infer<typeof resultSchema>, DumpResult> = true;
const _errorMatches: Same<z.infer<typeof dumpErrorInfoSchema>, DumpErrorInfo> = true;
const _captureEventMatches: Same<z.infer<typeof captureEventSchema>, CaptureEvent> = true;
const _persistReportMatches: Same<z.infer<typeof persistReportSchema>, PersistReport> = true;
void [_progressMatches, _resultMatches, _errorMatches, _captureEventMatches, _persistReportMatches];

/** One handler per kind; a kind without a handler is a compile error. */
export type Handlers<M extends { kind: string }> = { [K in M['kind']]: (message: Extract<M, { kind: K }>) => void };

export function dispatch<M extends { kind: string }>(handlers: Handlers<M>, message: M): void {
  (handlers[message.kind as M['kind']] as (m: M) => void)(message);
}

export type Decoded<M> = { ok: true; message: M } | { ok: false; error: string };

function decodeWith<M>(schema: z.ZodType<M>, line: string, from: string): Decoded<M> {
  if (Buffer.byteLength(line) > MAX_LINE_BYTES) return { ok: false, error: `${from} sent a message longer than ${MAX_LINE_BYTES} bytes.` };
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, error: `${from} sent a line that is not JSON.` };
  }
  if (typeof raw === 'object' && raw !== null && 'v' in raw && raw.v !== HELPER_PROTOCOL_VERSION) {
    // Never String(raw.v): {"v":{"toString":1}} makes that throw, and a 60 KiB "v" would make the sentence as long.
    const version = typeof raw.v === 'number' || typeof raw.v === 'string' ? String(raw.v).slice(0, 20) : `of type ${raw.v === null ? 'null' : typeof raw.v}`;
    return { ok: false, error: `${from} speaks protocol version ${version}; this build speaks ${HELPER_PROTOCOL_VERSION}.` };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length ? ` at ${issue.path.join('.')}` : '';
    return { ok: false, error: `${from} sent a malformed message${where}: ${issue?.message ?? 'invalid'}.` };
  }
  return { ok: true, message: parsed.data };
}

export function decodeHelperMessage(line: string): Decoded<HelperMessage> {
  return decodeWith(helperMessageSchema, line, 'The helper');
}

export function decodeAppMessage(line: string): Decoded<AppMessage> {
  return decodeWith(appMessageSchema, line, 'The app');
}

export function encodeMessage(message: HelperMessage | AppMessage): string {
  return JSON.stringify(message) + '\n';
}

export interface LineSplitter {
  push(chunk: Buffer): void;
  /** Ignore everything after this (the connection is being dropped). */
  stop(): void;
}

/**
 * Splits a byte stream into lines. Calls onLine per complete line and onOverflow once if a line grows beyond
 * MAX_LINE_BYTES without a newline (the caller then drops the connection).
 */
export function createLineSplitter(onLine: (line: string) => void, onOverflow: () => void): LineSplitter {
  // A StringDecoder, not chunk.toString(): a socket may cut a message inside a UTF-8 character (a path named
  // 'Développement'), and decoding each chunk alone turned both halves into U+FFFD.
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let stopped = false;
  return {
    push(chunk) {
      if (stopped) return;
      pending += decoder.write(chunk);
      let nl: number;
      while (!stopped && (nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.length) onLine(line);
      }
      if (!stopped && Buffer.byteLength(pending) > MAX_LINE_BYTES) {
        stopped = true;
        onOverflow();
      }
    },
    stop() {
      stopped = true;
      pending = '';
    },
  };
}

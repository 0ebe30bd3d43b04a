/*
 * Fuzzing of the helper protocol with fast-check: the line splitter on random byte streams cut at random places
 * (including inside a UTF-8 character), both decoders on random and near-valid JSON lines, and the app's real
 * channel (openHelperChannel) with a client that sends fuzzed bytes before and after proving the secret. Nothing
 * may throw; a malformed, oversized or unproven message is refused with a sentence and never reaches the app;
 * memory stays bounded (a line longer than MAX_LINE_BYTES is refused, not buffered).
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParameters, fuzzSeed } from '../../__fixtures__/fuzz-seed';
import { openHelperChannel, type ProvenHelperMessage } from './helper-channel';
import {
  appMessageSchema,
  createLineSplitter,
  decodeAppMessage,
  decodeHelperMessage,
  encodeMessage,
  helperMessageSchema,
  MAX_LINE_BYTES,
} from './helper-protocol';

const SEED = fuzzSeed();

const validHelperMessage = fc.oneof(
  fc.record({ v: fc.constant(1 as const), kind: fc.constant('hello' as const), secret: fc.stringMatching(/^[0-9a-f]{64}$/) }),
  fc.record({
    v: fc.constant(1 as const),
    kind: fc.constant('progress' as const),
    progress: fc.record({
      bytesWritten: fc.nat(),
      estimatedTotalBytes: fc.option(fc.nat(), { nil: null }),
      elapsedMs: fc.double({ min: 0, max: 1e9, noNaN: true }),
      phase: fc.constantFrom('attaching' as const, 'writing' as const, 'finishing' as const),
    }),
  }),
  fc.record({
    v: fc.constant(1 as const),
    kind: fc.constant('error' as const),
    error: fc.record({ code: fc.constantFrom('bad-request' as const, 'io-error' as const, 'cancelled' as const), message: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }) }),
  }),
  fc.record({
    v: fc.constant(1 as const),
    kind: fc.constant('result' as const),
    result: fc.record({
      path: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }).map((s) => `/home/dumps/${s}`),
      kind: fc.constantFrom('full' as const, 'mini' as const),
      pid: fc.nat(),
      bytesOnDisk: fc.nat(),
      fileBytes: fc.nat(),
      sha256: fc.stringMatching(/^[0-9a-f]{64}$/),
      durationMs: fc.nat(),
      targetPauseMs: fc.nat(),
      unreadableBytes: fc.nat(),
      method: fc.constantFrom('live' as const, 'snapshot' as const),
      format: fc.constantFrom('elf-core' as const, 'minidump' as const),
    }),
  }),
);
const validAppMessage = fc.record({ v: fc.constant(1 as const), kind: fc.constantFrom('welcome' as const, 'cancel' as const) });

const odd = fc.oneof(
  fc.anything({ maxDepth: 2, withNullPrototype: true }),
  fc.constantFrom(0, 2, -1, 1.5, NaN, 1e308, '', '1', null, true, [], {}, 'hello', '__proto__'),
  fc.string({ unit: 'binary', maxLength: 30 }),
);
/** A valid message's JSON with one field replaced, dropped or added (a key like __proto__ or toString included). */
function nearJson(valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<string> {
  return fc.tuple(valid, fc.nat(), fc.constantFrom('replace', 'drop', 'add', 'nested'), odd, fc.constantFrom('x', '__proto__', 'constructor', 'toString', 'v', 'kind')).map(([m, pick, how, value, key]) => {
    const o: Record<string, unknown> = JSON.parse(JSON.stringify(m));
    const keys = Object.keys(o);
    const k = keys[pick % keys.length]!;
    if (how === 'replace') o[k] = value;
    else if (how === 'drop') delete o[k];
    else if (how === 'nested' && typeof o[k] === 'object' && o[k] !== null) (o[k] as Record<string, unknown>)[key] = value;
    // JSON text, so a "__proto__" key arrives as an own property, the way a socket delivers it.
    const text = JSON.stringify(o);
    return how === 'add' ? `${text.slice(0, -1)}${keys.length ? ',' : ''}${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}}` : text;
  });
}
const line = fc.oneof(
  nearJson(validHelperMessage as fc.Arbitrary<Record<string, unknown>>),
  nearJson(validAppMessage as fc.Arbitrary<Record<string, unknown>>),
  validHelperMessage.map((m) => JSON.stringify(m)),
  validAppMessage.map((m) => JSON.stringify(m)),
  fc.json({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('{"v":{"toString":1},"kind":"welcome"}', '{"v":2,"kind":"welcome"}', `{"v":"${'9'.repeat(70_000)}"}`, '{"v":1,"kind":"welcome"}\r', '[]', 'null', '{"v":1}'),
);

function checkDecoded(decoded: { ok: boolean; error?: string; message?: unknown }, schemaOk: boolean, text: string): void {
  if (decoded.ok !== schemaOk) throw new Error(`decoded ${decoded.ok ? 'a line its schema refuses' : 'nothing from a valid line'}: ${text.slice(0, 200)}`);
  if (!decoded.ok && (typeof decoded.error !== 'string' || !decoded.error.endsWith('.') || decoded.error.length > 600)) {
    throw new Error(`refusal is not a short sentence: ${String(decoded.error).slice(0, 700)}`);
  }
}

const schemaAccepts = (schema: typeof helperMessageSchema | typeof appMessageSchema, text: string): boolean => {
  if (Buffer.byteLength(text) > MAX_LINE_BYTES) return false;
  try {
    return schema.safeParse(JSON.parse(text)).success;
  } catch {
    return false;
  }
};

describe(`fuzz: the helper protocol (seed ${SEED})`, () => {
  it('decodes random and near-valid lines on both sides without a throw, accepting exactly what the schemas accept', () => {
    let cases = 0;
    fc.assert(
      fc.property(line, (text) => {
        cases++;
        checkDecoded(decodeHelperMessage(text), schemaAccepts(helperMessageSchema, text), text);
        checkDecoded(decodeAppMessage(text), schemaAccepts(appMessageSchema, text), text);
      }),
      fuzzParameters(SEED, 11, 5_000),
    );
    console.log(`fuzz helper protocol decode: ${cases} lines, each through both decoders`);
  });

  it('splits any byte stream, cut anywhere, into the same lines as the whole stream, and refuses an oversized line once', () => {
    let cases = 0;
    const stream = fc.oneof(
      fc.array(line, { maxLength: 8 }).map((ls) => Buffer.from(ls.join('\n') + '\n')),
      fc.uint8Array({ maxLength: 2_000 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.integer({ min: MAX_LINE_BYTES - 4, max: MAX_LINE_BYTES + 4 }), fc.constantFrom('x', 'é', '\u{1f600}'), fc.boolean()).map(([n, c, nl]) =>
        Buffer.from(c.repeat(Math.ceil(n / Buffer.byteLength(c))) + (nl ? '\n{"v":1,"kind":"cancel"}\n' : '')),
      ),
    );
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 12 }), (bytes, cutsRaw) => {
        cases++;
        const cuts = [...new Set(cutsRaw.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const lines: string[] = [];
        let overflows = 0;
        const splitter = createLineSplitter((l) => lines.push(l), () => overflows++);
        let last = 0;
        for (const cut of [...cuts, bytes.length]) {
          splitter.push(bytes.subarray(last, cut));
          last = cut;
        }
        if (overflows > 1) throw new Error('overflow reported twice');
        // The oracle: the whole stream decoded at once, split on newlines, up to the first overlong remainder.
        const whole = bytes.toString('utf8').split('\n');
        const complete = whole.slice(0, -1).filter((l) => l.length > 0);
        const tail = whole.at(-1)!;
        if (overflows === 0) {
          expect(lines).toEqual(complete);
          if (Buffer.byteLength(tail) > MAX_LINE_BYTES) throw new Error(`a ${Buffer.byteLength(tail)}-byte unterminated line was buffered, not refused`);
        } else {
          // Refused: every line delivered before is a prefix of the stream's lines, and nothing came after.
          expect(complete.slice(0, lines.length)).toEqual(lines);
        }
      }),
      fuzzParameters(SEED, 12, 1_500),
    );
    console.log(`fuzz helper protocol splitter: ${cases} streams`);
  });

  it("the app's channel refuses fuzzed clients with a sentence and passes on only proven, valid messages", async () => {
    let cases = 0;
    let refusedCount = 0;
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(line, { minLength: 1, maxLength: 4 }), fc.array(fc.nat({ max: 64 }), { maxLength: 3 }), async (proveFirst, lines, cuts) => {
        cases++;
        const messages: ProvenHelperMessage[] = [];
        const failures: string[] = [];
        const channel = await openHelperChannel({ onMessage: (m) => messages.push(m), onFailure: (e) => failures.push(`${e.code}: ${e.message}`), onClose: () => {} });
        try {
          const client = connect(channel.address);
          client.on('error', () => {});
          // Read (and drop) what the app answers, or a paused socket never sees the app's hang-up.
          client.resume();
          await new Promise((r) => client.once('connect', r));
          const payload = Buffer.from((proveFirst ? encodeMessage({ v: 1, kind: 'hello', secret: channel.secret }) : '') + lines.join('\n') + '\n');
          let last = 0;
          for (const cut of [...cuts.map((c) => Math.min(c, payload.length)).sort((a, b) => a - b), payload.length]) {
            client.write(payload.subarray(last, Math.max(last, cut)));
            last = Math.max(last, cut);
          }
          client.end();
          // The app must hang up or answer and let the client finish: a channel that neither does is a hang.
          let timer: NodeJS.Timeout | undefined;
          const closed = await Promise.race([
            new Promise<boolean>((r) => client.once('close', () => r(true))),
            new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 3_000))),
          ]);
          clearTimeout(timer);
          client.destroy();
          if (!closed) throw new Error(`the channel neither closed nor finished within 3 s after ${JSON.stringify(lines).slice(0, 300)}`);
          await new Promise((r) => setTimeout(r, 5));
        } finally {
          await channel.close();
        }
        if (failures.length > 1) throw new Error(`onFailure called ${failures.length} times`);
        if (failures.length) {
          refusedCount++;
          if (!/^bad-request: .+\.$/.test(failures[0]!) && !/^bad-request: .+ Try again\.$/.test(failures[0]!)) throw new Error(`refusal is not a sentence: ${failures[0]}`);
        }
        if (!proveFirst && messages.length) throw new Error('a message reached the app before the secret was proven');
        for (const m of messages) if (!helperMessageSchema.safeParse(m).success || m.kind === ('hello' as string)) throw new Error(`passed on ${JSON.stringify(m)}`);
        // A line that the schema refuses must have stopped the channel.
        const sent = lines.join('\n').split('\n').filter((l) => l.length > 0);
        const bad = sent.some((l) => !schemaAccepts(helperMessageSchema, l));
        if (bad && failures.length === 0) throw new Error(`a malformed line did not fail the channel: ${JSON.stringify(lines).slice(0, 300)}`);
      }),
      fuzzParameters(SEED, 13, 150),
    );
    console.log(`fuzz helper protocol channel: ${cases} connections (${refusedCount} refused)`);
    expect(refusedCount).toBeGreaterThan(50);
  });
});

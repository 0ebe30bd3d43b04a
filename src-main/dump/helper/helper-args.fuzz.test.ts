/*
 * Fuzzing of the elevated helper's own command-line parser (parseHelperArgs) with fast-check, on both platforms:
 * random argv arrays (known and unknown flags, duplicates, values with NUL, newlines and unicode, huge values)
 * and near-valid jobs (one element dropped, duplicated, edited or added). It never throws; it accepts only a
 * well-formed job, which it reads back exactly as helperJobToArgs wrote it; everything else gets a short
 * sentence, and a reply address only when the channel and secret were themselves valid. (The Electron-side rule
 * on the whole argv has its own fuzz in helper-argv.test.ts.)
 */
import { isAbsolute as isAbsolutePosix } from 'node:path/posix';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParameters, fuzzSeed } from '../../__fixtures__/fuzz-seed';
import { helperJobToArgs, parseHelperArgs, type HelperJob } from './helper-args';

const SEED = fuzzSeed();
const PLATFORMS = ['linux', 'win32'] as const;
type Platform = (typeof PLATFORMS)[number];
const FLAGS = ['--pid', '--start-time-ms', '--kind', '--out-dir', '--uid', '--name', '--channel', '--secret'];

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const segment = fc.stringMatching(/^[A-Za-z0-9 ._-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
/** Jobs the app really writes, per platform. */
function validJob(platform: Platform): fc.Arbitrary<HelperJob> {
  const linux = platform === 'linux';
  return fc.record({
    pid: fc.integer({ min: 1, max: 0xffffffff }),
    startTimeMs: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    kind: fc.constantFrom('full' as const, 'mini' as const),
    outDir: fc.array(segment, { minLength: 0, maxLength: 4 }).map((parts) => (linux ? `/${parts.join('/')}` : `C:\\${parts.join('\\')}`)),
    uid: linux ? fc.integer({ min: 0, max: 0xfffffffe }) : fc.constant(null),
    nameHint: fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter((s) => !s.includes('\0') && s.length <= 255), { nil: null }),
    channel: linux ? segment.map((s) => `/tmp/procscope-helper-${s.replace(/ /g, '')}/channel.sock`) : hex(32).map((h) => `\\\\.\\pipe\\procscope-helper-${h}`),
    secret: hex(64),
  });
}

const oddValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', '0', '-1', '1.5', '1e3', '0x10', ' 1', '1 ', '４２', '4294967296', '9007199254740993', 'full\n', 'mini\0', 'FULL', 'relative/dir', '/a\0b', 'C:dir', '\\\\server\\share', '\\\\?\\C:\\x', '..', '/..', '=', '=='),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer({ min: 250, max: 20_000 }).map((n) => 'x'.repeat(n)),
);
const element = fc.oneof(
  fc.tuple(fc.constantFrom(...FLAGS), oddValue).map(([f, v]) => `${f}=${v}`),
  fc.constantFrom(...FLAGS),
  fc.constantFrom('--procscope-helper', '--no-sandbox', '--inspect-brk', '--remote-debugging-port=9222', '-e', '--', '-', '--PID=1', '--pid =1', ' --pid=1', '--pid\0=1'),
  oddValue,
);

type Edit = { k: 'drop' | 'duplicate' | 'replace' | 'insert' | 'swap' | 'split'; at: number; other: number; value: string };
const edit: fc.Arbitrary<Edit> = fc.record({
  k: fc.constantFrom('drop', 'duplicate', 'replace', 'insert', 'swap', 'split'),
  at: fc.nat(),
  other: fc.nat(),
  value: fc.oneof(element, oddValue),
});

function applyEdit(args: string[], e: Edit): string[] {
  const out = [...args];
  const i = e.at % Math.max(1, out.length);
  switch (e.k) {
    case 'drop':
      out.splice(i, 1);
      break;
    case 'duplicate':
      out.splice(i, 0, out[i] ?? e.value);
      break;
    case 'replace': {
      // Keep the flag, change its value: the near-valid case a parser must still check field by field.
      const flag = (out[i] ?? '').split('=')[0] ?? '';
      out[i] = FLAGS.includes(flag) ? `${flag}=${e.value}` : e.value;
      break;
    }
    case 'insert':
      out.splice(i, 0, e.value);
      break;
    case 'swap': {
      const j = e.other % Math.max(1, out.length);
      [out[i], out[j]] = [out[j]!, out[i]!];
      break;
    }
    case 'split': {
      // The old two-element form: '--pid', '42'.
      const [flag, ...rest] = (out[i] ?? '').split('=');
      out.splice(i, 1, flag ?? '', rest.join('='));
      break;
    }
  }
  return out;
}

/** What a job the parser accepted must satisfy, whatever it was given. */
function checkJob(job: HelperJob, args: readonly string[], platform: Platform): void {
  const fail = (why: string): never => {
    throw new Error(`accepted ${JSON.stringify(args).slice(0, 300)} on ${platform}, but ${why}`);
  };
  if (!Number.isSafeInteger(job.pid) || job.pid < 1 || job.pid > 0xffffffff) fail('the pid is out of range');
  if (!Number.isSafeInteger(job.startTimeMs) || job.startTimeMs < 1) fail('the start time is out of range');
  if (job.kind !== 'full' && job.kind !== 'mini') fail('the kind is unknown');
  if (platform === 'linux' ? !isAbsolutePosix(job.outDir) || job.uid === null : !/^[A-Za-z]:\\/.test(job.outDir)) fail('the folder or uid is wrong for the platform');
  if (job.nameHint !== null && (job.nameHint.length < 1 || job.nameHint.length > 255)) fail('the name is empty or too long');
  if (!/^[0-9a-f]{64}$/.test(job.secret)) fail('the secret is not 64 hex digits');
  for (const value of [job.outDir, job.nameHint ?? '', job.channel, job.secret]) if (value.includes('\0')) fail('a value holds a NUL');
  // Exactly one element per field, and no element the job does not account for.
  const written = helperJobToArgs(job);
  if (written.length !== args.length || [...written].sort().join('\n') !== [...args].sort().join('\n')) fail('it does not match what helperJobToArgs writes for it');
}

function checkRefusal(result: ReturnType<typeof parseHelperArgs>, args: readonly string[], platform: Platform): void {
  if (result.ok) return;
  const { error, replyTo } = result;
  if (typeof error !== 'string' || !/^[-A-Za-z'].*[.]$/s.test(error)) throw new Error(`refusal is not a sentence: ${JSON.stringify(error)}`);
  if (error.length > 320) throw new Error(`a ${error.length}-character refusal echoes too much of its input`);
  if (replyTo) {
    // A reply address only for a channel and secret that would themselves be accepted.
    if (!/^[0-9a-f]{64}$/.test(replyTo.secret)) throw new Error('reply secret is malformed');
    if (!args.includes(`--channel=${replyTo.channel}`) || !args.includes(`--secret=${replyTo.secret}`)) throw new Error('reply address is not from the arguments');
    const probe = parseHelperArgs(helperJobToArgs({ pid: 1, startTimeMs: 1, kind: 'full', outDir: platform === 'linux' ? '/x' : 'C:\\x', uid: platform === 'linux' ? 0 : null, nameHint: null, ...replyTo }), platform);
    if (!probe.ok) throw new Error(`reply address would itself be refused: ${probe.error}`);
  }
}

describe(`fuzz: the helper's argv parser (seed ${SEED})`, () => {
  it.each(PLATFORMS.map((p, i) => [p, i] as const))('on %s: valid jobs round-trip, random and near-valid argv never throw and are refused with a sentence', (platform, index) => {
    let accepted = 0;
    let refused = 0;
    const run = (args: string[]) => {
      const result = parseHelperArgs(args, platform);
      if (result.ok) {
        checkJob(result.job, args, platform);
        accepted++;
      } else {
        checkRefusal(result, args, platform);
        refused++;
      }
      return result;
    };
    fc.assert(
      fc.property(validJob(platform), (job) => {
        const result = run(helperJobToArgs(job));
        if (!result.ok || JSON.stringify(result.job) !== JSON.stringify(job)) throw new Error(`a valid job did not round-trip: ${JSON.stringify(result)}`);
      }),
      fuzzParameters(SEED, index * 10 + 1, 1_000),
    );
    fc.assert(fc.property(fc.array(element, { maxLength: 12 }), (args) => void run(args)), fuzzParameters(SEED, index * 10 + 2, 2_000));
    fc.assert(
      fc.property(validJob(platform), fc.array(edit, { minLength: 1, maxLength: 3 }), (job, edits) => void run(edits.reduce(applyEdit, helperJobToArgs(job)))),
      fuzzParameters(SEED, index * 10 + 3, 3_000),
    );
    console.log(`fuzz helper argv ${platform}: ${accepted + refused} cases (${accepted} accepted, ${refused} refused), seed ${SEED}`);
    expect(refused).toBeGreaterThan(2_000);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REQUEST_SCHEMAS } from '../../src-shared/ipc/request-schemas';
import { captureArgsFromForm, initialCaptureForm, type CaptureForm } from './capture-form';

const row = { pid: 42, startTimeMs: 1234, name: 'Tentacle' };
const form = (patch: Partial<CaptureForm> = {}): CaptureForm => ({ ...initialCaptureForm('descendants'), folder: '/tmp/dumps', ...patch });
const NONE = { start: false, exit: false, crash: false, cpu: false, memory: false, series: false };
const error = (patch: Partial<CaptureForm>) => {
  const r = captureArgsFromForm(row, form(patch));
  return r.ok ? null : r.error;
};

describe('capture dialog form', () => {
  it('fanotify exec mode: one binary a line, trimmed, blank lines skipped, children only; main accepts it', () => {
    const r = captureArgsFromForm(row, form({ execMode: true, execPaths: ' /usr/bin/pwsh \n\n/opt/octopus/Calamari\r\n' }));
    expect(r).toMatchObject({ ok: true, args: { scope: 'descendants', execPaths: ['/usr/bin/pwsh', '/opt/octopus/Calamari'] } });
    expect(REQUEST_SCHEMAS['procscope:start-capture'].safeParse(r.ok && r.args).success).toBe(true);
    // Off, the text left in the box is not sent.
    const off = captureArgsFromForm(row, form({ execMode: false, execPaths: '/usr/bin/pwsh' }));
    expect(off.ok && 'execPaths' in off.args).toBe(false);
  });

  it('fanotify exec mode refuses what main would: no binary, a relative or unplain path, /proc, a repeat, 17 binaries, another scope', () => {
    const exec = (execPaths: string, scope: CaptureForm['scope'] = 'descendants') => error({ execMode: true, execPaths, scope });
    expect(exec(' \n ')).toBe('Type the full path of at least one binary to hold at its exec, one a line.');
    expect(exec('pwsh')).toBe('pwsh is not a full path: it must start with /.');
    expect(exec('/usr/bin/../bin/pwsh')).toMatch(/must be a plain path/);
    expect(exec('/usr//bin/pwsh')).toMatch(/must be a plain path/);
    expect(exec('/usr/bin/./pwsh')).toMatch(/must be a plain path/);
    expect(exec('/usr/bin/')).toMatch(/must be a plain path/);
    expect(exec('/proc/self/exe')).toBe("/proc/self/exe is under /proc: give the binary's own path.");
    expect(exec('/usr/bin/pwsh\n/usr/bin/pwsh')).toBe('A binary is listed twice.');
    expect(exec(Array.from({ length: 17 }, (_, i) => `/opt/b${i}`).join('\n'))).toBe('At most 16 binaries can be held at exec; 17 are listed.');
    expect(exec(Array.from({ length: 16 }, (_, i) => `/opt/b${i}`).join('\n'))).toBeNull();
    expect(exec('/usr/bin/pwsh', 'self')).toMatch(/watches the children only/);
    expect(exec('/usr/bin/pwsh', 'self-and-descendants')).toMatch(/watches the children only/);
  });

  it("main's schema takes up to 16 absolute binaries and refuses a relative one, a NUL, none or 17", () => {
    const base = captureArgsFromForm(row, form());
    if (!base.ok) throw new Error(base.error);
    const ok = (execPaths: unknown) => REQUEST_SCHEMAS['procscope:start-capture'].safeParse({ ...base.args, execPaths }).success;
    expect(ok(['/usr/bin/pwsh'])).toBe(true);
    expect(ok(Array.from({ length: 16 }, (_, i) => `/b/${i}`))).toBe(true);
    expect(ok(['usr/bin/pwsh'])).toBe(false);
    expect(ok(['/usr/bin/pw\0sh'])).toBe(false);
    expect(ok([])).toBe(false);
    expect(ok(Array.from({ length: 17 }, (_, i) => `/b/${i}`))).toBe(false);
    expect(ok('/usr/bin/pwsh')).toBe(false);
  });

  it('turns the defaults into children, at exit, minidumps, a 60 s hold and no limits, which main accepts', () => {
    const r = captureArgsFromForm(row, form());
    expect(r).toEqual({
      ok: true,
      args: {
        pid: 42, startTimeMs: 1234, name: 'Tentacle', scope: 'descendants', nameGlob: null, cmdlineRegex: null, triggers: ['exit'],
        exitNonZeroOnly: false, kind: 'mini', outDir: '/tmp/dumps', holdTimeoutMs: 60_000, maxDumps: null, timeoutMs: null,
      },
    });
    expect(REQUEST_SCHEMAS['procscope:start-capture'].safeParse(r.ok && r.args).success).toBe(true);
  });

  it('passes filters, every trigger in order, the non-zero filter, limits and the elevation wish', () => {
    const r = captureArgsFromForm(row, form({
      scope: 'self-and-descendants', nameGlob: ' Calamari* ', cmdlineRegex: '--deploy\\b', triggers: { ...NONE, start: true, exit: true, crash: true },
      exitNonZeroOnly: true, kind: 'full', holdSeconds: '2.5', maxDumps: '3', stopAfterSeconds: '90', elevated: true,
    }));
    expect(r.ok && r.args).toMatchObject({
      scope: 'self-and-descendants', nameGlob: 'Calamari*', cmdlineRegex: '--deploy\\b', triggers: ['start', 'exit', 'crash'],
      exitNonZeroOnly: true, kind: 'full', holdTimeoutMs: 2500, maxDumps: 3, timeoutMs: 90_000, elevated: true,
    });
  });

  it('drops the non-zero filter when at exit is not chosen', () => {
    const r = captureArgsFromForm(row, form({ triggers: { ...NONE, crash: true }, exitNonZeroOnly: true }));
    expect(r.ok && [r.args.triggers, r.args.exitNonZeroOnly]).toEqual([['crash'], false]);
  });

  it('sends the sampled triggers with the monitor main pairs them with, and none without them', () => {
    const cpuAndMemory = captureArgsFromForm(row, form({ triggers: { ...NONE, cpu: true, memory: true }, cpuPercent: '90', memoryMb: '512', monitorSeconds: '5', monitorCount: '2' }));
    expect(cpuAndMemory.ok && [cpuAndMemory.args.triggers, cpuAndMemory.args.monitor]).toEqual([['cpu', 'memory'], { cpuPercent: 90, memoryMb: 512, seconds: 5, count: 2 }]);
    const series = captureArgsFromForm(row, form({ triggers: { ...NONE, series: true }, cpuPercent: '90', monitorCount: '3' }));
    expect(series.ok && [series.args.triggers, series.args.monitor]).toEqual([['series'], { cpuPercent: null, memoryMb: null, seconds: 10, count: 3 }]);
    const plain = captureArgsFromForm(row, form({ cpuPercent: '90' }));
    expect(plain.ok && 'monitor' in plain.args).toBe(false);
    expect(error({ triggers: { ...NONE, series: true, cpu: true }, cpuPercent: '50' })).toMatch(/series .* cannot be combined/);
    expect(error({ triggers: { ...NONE, cpu: true }, cpuPercent: '' })).toMatch(/CPU threshold/);
    expect(error({ triggers: { ...NONE, memory: true }, memoryMb: '1.5' })).toMatch(/memory threshold/);
    expect(error({ triggers: { ...NONE, series: true }, monitorSeconds: '0' })).toMatch(/sampling seconds/);
    expect(error({ triggers: { ...NONE, series: true }, monitorCount: '10001' })).toMatch(/dumps per process/);
  });

  it('answers what a user can get wrong with one sentence each', () => {
    expect(error({ triggers: { ...NONE } })).toMatch(/at least one trigger/);
    expect(error({ folder: 'dumps' })).toMatch(/full path of a folder/);
    expect(error({ folder: '  ' })).toMatch(/full path of a folder/);
    expect(error({ cmdlineRegex: '(unclosed' })).toMatch(/^The command-line pattern is not a regular expression: .+\.$/);
    expect(error({ holdSeconds: 'soon' })).toMatch(/hold deadline/);
    expect(error({ holdSeconds: '0' })).toMatch(/hold deadline/);
    expect(error({ holdSeconds: '3601' })).toMatch(/hold deadline/);
    expect(error({ maxDumps: '2.5' })).toMatch(/Stop after N dumps/);
    expect(error({ maxDumps: '0' })).toMatch(/Stop after N dumps/);
    expect(error({ stopAfterSeconds: '-1' })).toMatch(/"Stop after"/);
    expect(error({ nameGlob: 'x'.repeat(256) })).toMatch(/255/);
  });

  it('never hands main arguments its schema refuses, whatever is typed', () => {
    // Mostly numbers near the limits, so that whole valid forms (and their monitors) come up often, not only refusals.
    const text = fc.oneof(
      { arbitrary: fc.string({ maxLength: 8 }), weight: 1 },
      { arbitrary: fc.constantFrom('', '0', '0.0004', '1e3', '100001', '-1'), weight: 1 },
      { arbitrary: fc.constantFrom('1', '5', '60', ' 5 ', '90', '3600'), weight: 6 },
    );
    fc.assert(
      fc.property(
        fc.record({
          scope: fc.constantFrom('self' as const, 'descendants' as const, 'self-and-descendants' as const),
          nameGlob: fc.string({ maxLength: 300 }),
          cmdlineRegex: fc.string({ maxLength: 20 }),
          triggers: fc.record({ start: fc.boolean(), exit: fc.boolean(), crash: fc.boolean(), cpu: fc.boolean(), memory: fc.boolean(), series: fc.boolean() }),
          cpuPercent: text,
          memoryMb: text,
          monitorSeconds: text,
          monitorCount: text,
          exitNonZeroOnly: fc.boolean(),
          kind: fc.constantFrom('full' as const, 'mini' as const),
          folder: fc.oneof({ arbitrary: fc.constant('/tmp/d'), weight: 4 }, { arbitrary: fc.string({ maxLength: 10 }), weight: 1 }),
          holdSeconds: text,
          maxDumps: text,
          stopAfterSeconds: text,
          elevated: fc.boolean(),
          execMode: fc.boolean(),
          execPaths: fc.oneof(fc.constant('/usr/bin/pwsh\n/opt/x/Calamari'), fc.string({ maxLength: 12 }), fc.constant(Array.from({ length: 17 }, (_, i) => `/b/${i}`).join('\n'))),
        }),
        (f) => {
          const r = captureArgsFromForm(row, f);
          if (!r.ok) return void expect(r.error).toMatch(/^\S.*\.$/);
          expect(REQUEST_SCHEMAS['procscope:start-capture'].safeParse(r.args).error).toBeUndefined();
          // compileCaptureRule's pairing (main): cpu ⇔ a CPU threshold, memory ⇔ a memory one, series ⇔ neither.
          const m = r.args.monitor ?? null;
          const has = (t: string) => r.args.triggers.includes(t as never);
          expect(m !== null).toBe(has('cpu') || has('memory') || has('series'));
          if (m) expect([has('cpu'), has('memory'), has('series')]).toEqual([m.cpuPercent !== null, m.memoryMb !== null, m.cpuPercent === null && m.memoryMb === null]);
        },
      ),
      { numRuns: 500 },
    );
  });
});

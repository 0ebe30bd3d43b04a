import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REQUEST_SCHEMAS } from '../../src-shared/ipc/request-schemas';
import { captureArgsFromForm, initialCaptureForm, type CaptureForm } from './capture-form';

const row = { pid: 42, startTimeMs: 1234, name: 'Tentacle' };
const form = (patch: Partial<CaptureForm> = {}): CaptureForm => ({ ...initialCaptureForm('descendants'), folder: '/tmp/dumps', ...patch });
const error = (patch: Partial<CaptureForm>) => {
  const r = captureArgsFromForm(row, form(patch));
  return r.ok ? null : r.error;
};

describe('capture dialog form', () => {
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
      scope: 'self-and-descendants', nameGlob: ' Calamari* ', cmdlineRegex: '--deploy\\b', triggers: { start: true, exit: true, crash: true },
      exitNonZeroOnly: true, kind: 'full', holdSeconds: '2.5', maxDumps: '3', stopAfterSeconds: '90', elevated: true,
    }));
    expect(r.ok && r.args).toMatchObject({
      scope: 'self-and-descendants', nameGlob: 'Calamari*', cmdlineRegex: '--deploy\\b', triggers: ['start', 'exit', 'crash'],
      exitNonZeroOnly: true, kind: 'full', holdTimeoutMs: 2500, maxDumps: 3, timeoutMs: 90_000, elevated: true,
    });
  });

  it('drops the non-zero filter when at exit is not chosen', () => {
    const r = captureArgsFromForm(row, form({ triggers: { start: false, exit: false, crash: true }, exitNonZeroOnly: true }));
    expect(r.ok && [r.args.triggers, r.args.exitNonZeroOnly]).toEqual([['crash'], false]);
  });

  it('answers what a user can get wrong with one sentence each', () => {
    expect(error({ triggers: { start: false, exit: false, crash: false } })).toMatch(/at least one trigger/);
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
    const text = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('', '0', '1', '60', '0.0004', '3600', '1e3', ' 5 ', '100001'));
    fc.assert(
      fc.property(
        fc.record({
          scope: fc.constantFrom('self' as const, 'descendants' as const, 'self-and-descendants' as const),
          nameGlob: fc.string({ maxLength: 300 }),
          cmdlineRegex: fc.string({ maxLength: 20 }),
          triggers: fc.record({ start: fc.boolean(), exit: fc.boolean(), crash: fc.boolean() }),
          exitNonZeroOnly: fc.boolean(),
          kind: fc.constantFrom('full' as const, 'mini' as const),
          folder: fc.oneof(fc.constant('/tmp/d'), fc.string({ maxLength: 10 })),
          holdSeconds: text,
          maxDumps: text,
          stopAfterSeconds: text,
          elevated: fc.boolean(),
        }),
        (f) => {
          const r = captureArgsFromForm(row, f);
          if (r.ok) expect(REQUEST_SCHEMAS['procscope:start-capture'].safeParse(r.args).error).toBeUndefined();
          else expect(r.error).toMatch(/^\S.*\.$/);
        },
      ),
      { numRuns: 500 },
    );
  });
});

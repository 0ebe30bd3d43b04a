/*
 * A zod schema for the argument of every request channel; main validates each incoming call against it before a
 * handler sees it. The Record type makes a channel without a schema a compile error, and the z.ZodType<Args>
 * constraint keeps each schema in step with RequestMap. Strict objects: unknown keys are refused, not ignored.
 */
import { z } from 'zod';
import { REFRESH_INTERVALS_MS } from '../model/process';
import { DUMP_STAMP_PATTERN } from '../model/dump';
import { MAX_EXEC_PATHS } from '../model/capture';
import type { RequestArgs, RequestChannel } from './contract';
import { viewSettingsSchema } from './view-settings-schema';
import { DETAIL_PARTS, type DetailPart } from '../model/process-detail';

const noArgs = z.strictObject({});

const pid = z.number().int().positive().max(0x7fffffff);
const startTimeMs = z.number().int().nonnegative();
const target = z.strictObject({ pid, startTimeMs });
const kind = z.enum(['full', 'mini']);
/** A POSIX (/x) or Windows (C:\x, \\server\share) absolute path; the engine checks it again for its own OS. */
const absoluteFolder = z
  .string()
  .min(1)
  .max(4096)
  .refine((v) => !v.includes('\0'), { message: 'the folder contains a NUL character' })
  .refine((v) => v.startsWith('/') || /^[A-Za-z]:[\\/]/.test(v) || v.startsWith('\\\\'), {
    message: 'choose an absolute folder (starting with / or a drive letter)',
  });
const startDump = z.strictObject({ pid, startTimeMs, kind, outDir: absoluteFolder, name: z.string().min(1).max(255).optional(), stamp: z.string().regex(DUMP_STAMP_PATTERN).optional(), snapshot: z.boolean().optional() });
const jobId = z.strictObject({ jobId: z.string().min(1).max(64) });
const watchId = z.strictObject({ watchId: z.string().min(1).max(64) });
const reportId = z.string().min(1).max(64);
/** The host checks it again for its own OS (absolute, no link, a regular file with ELF or MDMP magic). */
const dumpPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((v) => !v.includes('\0'), { message: 'the path contains a NUL character' });
/** The rule's shape; main's compileCaptureRule checks it again (the folder exists, the regex compiles). */
const startCapture = z.strictObject({
  pid,
  startTimeMs,
  name: z.string().min(1).max(255).optional(),
  scope: z.enum(['self', 'descendants', 'self-and-descendants']),
  nameGlob: z.string().min(1).max(255).nullable(),
  cmdlineRegex: z.string().min(1).max(1000).nullable(),
  triggers: z
    .array(z.enum(['start', 'exit', 'crash', 'cpu', 'memory', 'series']))
    .min(1)
    .max(6)
    .refine((t) => new Set(t).size === t.length, { message: 'each trigger at most once' }),
  exitNonZeroOnly: z.boolean(),
  kind,
  outDir: absoluteFolder,
  holdTimeoutMs: z.number().int().min(1).max(3_600_000),
  maxDumps: z.number().int().min(1).max(100_000).nullable(),
  timeoutMs: z.number().int().min(1).max(7 * 86_400_000).nullable(),
  // Whether it agrees with the triggers is compileCaptureRule's to say (one set of sentences for CLI, host and helper).
  monitor: z
    .strictObject({
      cpuPercent: z.number().int().min(1).max(100_000).nullable(),
      memoryMb: z.number().int().min(1).max(16 * 1024 * 1024).nullable(),
      seconds: z.number().int().min(1).max(86_400),
      count: z.number().int().min(1).max(10_000),
    })
    .nullable()
    .optional(),
  elevated: z.boolean().optional(),
  // fanotify exec mode's binaries (Linux): absolute paths; compileCaptureRule checks each one as a file, and the OS.
  execPaths: z
    .array(
      z
        .string()
        .min(1)
        .max(4096)
        .refine((v) => v.startsWith('/') && !v.includes('\0'), { message: 'each binary must be an absolute path' }),
    )
    .min(1)
    .max(MAX_EXEC_PATHS)
    .optional(),
});

/** Detail (issue 14): each part at most once; a thread id as the kernel / Windows hands them out. */
const detailParts = z
  .array(z.enum(DETAIL_PARTS as readonly DetailPart[] as [DetailPart, ...DetailPart[]]))
  .min(1)
  .max(DETAIL_PARTS.length)
  .refine((p) => new Set(p).size === p.length, { message: 'each part at most once' });
const tid = z.number().int().positive().max(0x7fffffff);
const findQuery = z
  .string()
  .min(1)
  .max(260)
  .refine((v) => !v.includes('\0'), { message: 'the query contains a NUL character' });

const refreshIntervalMs = z
  .number()
  .int()
  .refine((v) => v === 0 || (REFRESH_INTERVALS_MS as readonly number[]).includes(v), {
    message: `intervalMs must be 0 (paused) or one of ${REFRESH_INTERVALS_MS.join(', ')}`,
  });

export const REQUEST_SCHEMAS: { [C in RequestChannel]: z.ZodType<RequestArgs<C>> } = {
  'procscope:subscribe-processes': noArgs,
  'procscope:unsubscribe-processes': noArgs,
  'procscope:get-snapshot': noArgs,
  'procscope:get-poller-state': noArgs,
  'procscope:set-refresh-interval': z.strictObject({ intervalMs: refreshIntervalMs }),
  'procscope:set-include-handle-count': z.strictObject({ include: z.boolean() }),
  'procscope:set-poll-fields': z.strictObject({ io: z.boolean().optional(), categories: z.boolean().optional() }),
  'procscope:refresh-now': noArgs,
  'procscope:get-app-info': noArgs,
  'procscope:kill-process': target,
  'procscope:kill-process-tree': target,
  'procscope:suspend-process': target,
  'procscope:resume-process': target,
  'procscope:start-dump': startDump,
  'procscope:start-tree-dump': startDump,
  'procscope:cancel-dump': jobId,
  'procscope:retry-dump-elevated': jobId,
  'procscope:delete-dump': jobId,
  'procscope:dismiss-dump': jobId,
  'procscope:list-dump-jobs': noArgs,
  'procscope:get-dump-settings': noArgs,
  'procscope:update-dump-settings': z
    .strictObject({ dumpDir: absoluteFolder.optional(), lastKind: kind.optional() })
    .refine((v) => v.dumpDir !== undefined || v.lastKind !== undefined, { message: 'give dumpDir or lastKind' }),
  'procscope:choose-dump-folder': z.strictObject({ defaultPath: z.string().max(4096).optional() }),
  'procscope:show-dump-in-folder': jobId,
  'procscope:start-capture': startCapture,
  'procscope:stop-capture': watchId,
  'procscope:retry-capture-elevated': watchId,
  'procscope:dismiss-capture': watchId,
  'procscope:list-captures': noArgs,
  'procscope:analyze-job': jobId,
  'procscope:analyze-file': z.strictObject({ path: dumpPath.optional() }),
  'procscope:save-report': z.strictObject({ reportId, format: z.enum(['html', 'json']) }),
  'procscope:render-report-html': z.strictObject({ reportId }),
  'procscope:open-properties-window': target,
  'procscope:get-view-settings': noArgs,
  'procscope:set-view-settings': z.strictObject({ settings: viewSettingsSchema }),
  'procscope:get-process-detail': z.strictObject({ pid, startTimeMs, parts: detailParts }),
  'procscope:get-thread-stack': z.strictObject({ pid, startTimeMs, tid }),
  'procscope:thread-action': z.strictObject({ pid, startTimeMs, tid, action: z.enum(['kill', 'suspend', 'resume']) }),
  'procscope:find-handle-or-dll': z.strictObject({ query: findQuery }),
  'procscope:prepare-upload-package': jobId,
  'procscope:upload-package-progress': jobId,
  'procscope:cancel-upload-package': jobId,
};

/** One line naming the offending fields, for the typed 'invalid-argument' error. */
export function describeSchemaError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'argument'}: ${issue.message}`)
    .join('; ');
}

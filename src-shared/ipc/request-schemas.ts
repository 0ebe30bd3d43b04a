/*
 * A zod schema for the argument of every request channel; main validates each incoming call against it before a
 * handler sees it. The Record type makes a channel without a schema a compile error, and the z.ZodType<Args>
 * constraint keeps each schema in step with RequestMap. Strict objects: unknown keys are refused, not ignored.
 */
import { z } from 'zod';
import { REFRESH_INTERVALS_MS } from '../model/process';
import type { RequestArgs, RequestChannel } from './contract';

const noArgs = z.strictObject({});

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
  'procscope:refresh-now': noArgs,
  'procscope:get-app-info': noArgs,
};

/** One line naming the offending fields, for the typed 'invalid-argument' error. */
export function describeSchemaError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'argument'}: ${issue.message}`)
    .join('; ');
}

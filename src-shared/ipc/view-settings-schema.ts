/*
 * The zod schema of the persisted view (src-shared/model/view-settings.ts): the gate for procscope:set-view-settings
 * and for the file the host reads back. Strict and bounded: unknown keys, an unknown column id, a width outside
 * 20–2000 px, more than 64 columns, an unknown colour or interval are refused. Kept apart from the model so the
 * renderer's bundle does not carry zod.
 */
import { z } from 'zod';
import { REFRESH_INTERVALS_MS } from '../model/process';
import {
  CATEGORY_IDS,
  COLUMN_ID_SET,
  MAX_HIGHLIGHT_MS,
  MAX_SETTINGS_COLUMN_WIDTH_PX,
  MAX_VIEW_COLUMNS,
  MIN_SETTINGS_COLUMN_WIDTH_PX,
  type CategoryId,
  type ViewSettings,
} from '../model/view-settings';

const columnId = z
  .string()
  .max(40)
  .refine((id) => Object.hasOwn(COLUMN_ID_SET, id), { message: 'unknown column id' });
const width = z.number().int().min(MIN_SETTINGS_COLUMN_WIDTH_PX).max(MAX_SETTINGS_COLUMN_WIDTH_PX);
const highlightMs = z.number().int().min(0).max(MAX_HIGHLIGHT_MS);
const categoryStyle = z.strictObject({ color: z.string().regex(/^#[0-9a-fA-F]{6}$/), enabled: z.boolean() });

export const viewSettingsSchema: z.ZodType<ViewSettings> = z.strictObject({
  version: z.literal(1),
  columns: z
    .array(columnId)
    .min(1)
    .max(MAX_VIEW_COLUMNS)
    .refine((c) => c[0] === 'name', { message: 'the Process column comes first' })
    .refine((c) => new Set(c).size === c.length, { message: 'each column at most once' }),
  widthsPx: z
    .record(columnId, width)
    .refine((w) => Object.keys(w).length <= MAX_VIEW_COLUMNS, { message: `at most ${MAX_VIEW_COLUMNS} widths` }),
  sort: z.strictObject({ column: columnId, direction: z.enum(['asc', 'desc']) }).nullable(),
  flatList: z.boolean(),
  lowerPane: z.strictObject({ visible: z.boolean(), view: z.enum(['dlls', 'handles']) }),
  refreshIntervalMs: z
    .number()
    .int()
    .refine((v) => (REFRESH_INTERVALS_MS as readonly number[]).includes(v), { message: `one of ${REFRESH_INTERVALS_MS.join(', ')}` }),
  newHighlightMs: highlightMs,
  keepExitedMs: highlightMs,
  categories: z.strictObject(
    Object.fromEntries(CATEGORY_IDS.map((id) => [id, categoryStyle])) as Record<CategoryId, typeof categoryStyle>,
  ),
}) as z.ZodType<ViewSettings>;


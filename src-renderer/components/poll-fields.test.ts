import { describe, expect, it } from 'vitest';
import { DEFAULT_CATEGORY_STYLES, type CategoryId, type CategoryStyle } from '../format/categories';
import { pollFieldsOf } from './poll-fields';

const styles = (enabled: Partial<Record<CategoryId, boolean>>): Record<CategoryId, CategoryStyle> => {
  const out = { ...DEFAULT_CATEGORY_STYLES } as Record<CategoryId, CategoryStyle>;
  for (const id of Object.keys(out) as CategoryId[]) out[id] = { ...out[id], enabled: enabled[id] ?? false };
  return out;
};

describe('poll fields', () => {
  it('asks for I/O only while an I/O column shows, and for categories while Services or a costly colour shows', () => {
    expect(pollFieldsOf(['name', 'pid'], styles({}))).toEqual({ io: false, categories: false });
    expect(pollFieldsOf(['name', 'ioWriteBytesPerSec'], styles({}))).toEqual({ io: true, categories: false });
    expect(pollFieldsOf(['name', 'services'], styles({}))).toEqual({ io: false, categories: true });
    // Suspended, elevated, job and own come with the steady poll: no extra reads for them.
    expect(pollFieldsOf(['name'], styles({ suspended: true, elevated: true, job: true, own: true }))).toEqual({ io: false, categories: false });
    for (const c of ['service', 'dotnet', 'debugged'] as const) expect(pollFieldsOf(['name'], styles({ [c]: true })).categories).toBe(true);
  });
});

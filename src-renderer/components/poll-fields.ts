/*
 * Keeps what the poll reads in step with what the main window shows (issue 14): I/O counters while an I/O column
 * is shown, the costly category inputs (services, .NET, a tracer) while the Services column or one of those
 * colours is. The host starts with both off, so a window that shows neither costs the poll nothing extra.
 */
import { useEffect } from 'react';
import { useApi } from '../api/api-context';
import type { CategoryId, CategoryStyle } from '../format/categories';
import { columnsNeed, type ColumnId } from '../format/columns';
import { useAppStore } from '../store/app-store';

/** Categories whose inputs cost the backend a read of their own; the others come with the steady poll. */
const COSTLY_CATEGORIES: readonly CategoryId[] = ['service', 'dotnet', 'debugged'];

export function pollFieldsOf(
  visibleColumns: readonly ColumnId[],
  categoryStyles: Readonly<Record<CategoryId, CategoryStyle>>,
): { io: boolean; categories: boolean } {
  return {
    io: columnsNeed(visibleColumns, 'io'),
    categories: columnsNeed(visibleColumns, 'categories') || COSTLY_CATEGORIES.some((c) => categoryStyles[c]?.enabled),
  };
}

/** Tells the host whenever the wanted fields change, and again whenever a (new) host's poller state arrives. */
export function usePollFields(): void {
  const api = useApi();
  const visibleColumns = useAppStore((s) => s.visibleColumns);
  const categoryStyles = useAppStore((s) => s.categoryStyles);
  const pollerState = useAppStore((s) => s.pollerState);
  const { io, categories } = pollFieldsOf(visibleColumns, categoryStyles);
  const connected = pollerState !== null;
  useEffect(() => {
    if (!connected) return;
    // A failed request (the host went away) is retried by the next change or reconnect; nothing to show here.
    api.request('procscope:set-poll-fields', { io, categories }).catch(() => undefined);
  }, [api, connected, io, categories]);
}

/*
 * The page a Properties window shows: the app's index.html with ?properties=<pid>:<startTimeMs> (Electron's
 * BrowserWindow per process, or the browser host's tab with its token beside it). main.tsx picks it instead of the
 * main window's App when the parameter is there.
 */
import { parseProcessKey } from '../../../src-shared/model/process';
import type { PropertiesTarget } from '../../store/detail-slice';

export const PROPERTIES_PARAM = 'properties';

/** The process a page URL's ?properties= names, or null (then the page is the main window). */
export function propertiesTargetFromSearch(search: string): PropertiesTarget | null {
  const value = new URLSearchParams(search).get(PROPERTIES_PARAM);
  return value === null ? null : parseProcessKey(value);
}

/*
 * Row categories and their colours (Options → Colours, issue 14). A row gets at most one category colour: the first
 * category in CATEGORY_IDS' priority order that applies and is switched on. The order follows Process Explorer's
 * rule that a state beats a kind: suspended (a process that cannot run must never look normal), then being
 * debugged/traced, then the narrower kinds (.NET, in a job, elevated, service) before the broadest, "own" (run by
 * the user the host runs as). The new / exited highlights are not categories: they beat every colour (styles.css).
 */
import type { ProcessRow } from '../../src-shared/model/process';
import { CATEGORY_IDS, DEFAULT_CATEGORY_STYLES, type CategoryId, type CategoryStyle } from '../../src-shared/model/view-settings';

export { CATEGORY_IDS, DEFAULT_CATEGORY_STYLES, type CategoryId, type CategoryStyle };

export const CATEGORY_LABELS: Readonly<Record<CategoryId, string>> = {
  suspended: 'Suspended',
  debugged: 'Being debugged',
  dotnet: '.NET',
  job: 'In a job',
  elevated: 'Elevated',
  service: 'Services',
  own: 'Own processes',
};

export const CATEGORY_DESCRIPTIONS: Readonly<Record<CategoryId, string>> = {
  suspended: 'Stopped (SIGSTOP, job control) or, on Windows, every thread suspended',
  debugged: 'A debugger or tracer is attached (gdb, strace; Windows: a debug port)',
  dotnet: 'Runs the .NET runtime',
  job: 'In a Windows job object',
  elevated: 'Runs elevated (Windows)',
  service: 'Hosts a service (Windows SCM) or is a systemd service unit',
  own: 'Runs as the user Procscope runs as',
};

/** The account part of a user name: 'DOMAIN\\alice' and 'alice' name the same user. */
function accountName(user: string): string {
  const slash = user.lastIndexOf('\\');
  return (slash >= 0 ? user.slice(slash + 1) : user).toLowerCase();
}

export function rowInCategory(row: ProcessRow, category: CategoryId, currentUser: string | null): boolean {
  switch (category) {
    case 'suspended':
      return row.suspended === true || row.state === 'stopped';
    case 'debugged':
      return row.beingDebugged === true || row.state === 'traced';
    case 'dotnet':
      return row.isDotNet === true;
    case 'job':
      return row.inJob === true;
    case 'elevated':
      return row.elevated === true;
    case 'service':
      return row.isService === true || (row.services !== null && row.services.length > 0);
    case 'own':
      return currentUser !== null && row.user !== null && accountName(row.user) === accountName(currentUser);
  }
}

/** The category that colours this row, or null (no colour: the row looks normal). */
export function resolveCategory(
  row: ProcessRow,
  styles: Readonly<Record<CategoryId, CategoryStyle>>,
  currentUser: string | null,
): CategoryId | null {
  for (const category of CATEGORY_IDS) if (styles[category].enabled && rowInCategory(row, category, currentUser)) return category;
  return null;
}

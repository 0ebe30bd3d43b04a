/*
 * Which services each process hosts, for the Services column and the service colour on Windows (issue 14): the
 * SCM's list (EnumServicesStatusExW, SERVICE_WIN32, SC_ENUM_PROCESS_INFO) turned into pid → sorted short names,
 * read again at most every REFRESH_MS (services start and stop rarely; the list costs a round trip to services.exe),
 * not every poll. A pid's list keeps its array object while its names stay, so the poller's diff sees no change.
 */
import { enumServices, type ServiceRecord } from './ffi/services';

const REFRESH_MS = 5_000;

export interface ServiceMap {
  /** The services pid hosts, or null when none (or the SCM could not be read: then `known` is false). */
  servicesOf(pid: number): string[] | null;
  readonly known: boolean;
  /** Re-reads the SCM if the last read is older than REFRESH_MS (or `force`). */
  refresh(nowMs: number, force?: boolean): void;
}

/** Running services by hosting pid, names sorted; stopped ones (pid 0) left out. Pure. */
export function servicesByPid(records: readonly ServiceRecord[]): Map<number, string[]> {
  const byPid = new Map<number, string[]>();
  for (const r of records) {
    if (r.pid === 0) continue;
    const list = byPid.get(r.pid);
    if (list) list.push(r.name);
    else byPid.set(r.pid, [r.name]);
  }
  for (const list of byPid.values()) list.sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
  return byPid;
}

export function createServiceMap(read: () => readonly ServiceRecord[] = enumServices): ServiceMap {
  let byPid = new Map<number, string[]>();
  let known = false;
  let readAtMs = -Infinity;
  return {
    servicesOf: (pid) => byPid.get(pid) ?? null,
    get known() {
      return known;
    },
    refresh(nowMs, force = false) {
      if (!force && nowMs - readAtMs < REFRESH_MS) return;
      readAtMs = nowMs;
      let next: Map<number, string[]>;
      try {
        next = servicesByPid(read());
      } catch {
        // The SCM refused (a locked-down session) or is not there: keep what was known, say it is unknown now.
        known = false;
        return;
      }
      for (const [pid, names] of next) {
        const before = byPid.get(pid);
        if (before && before.length === names.length && before.every((n, i) => n === names[i])) next.set(pid, before);
      }
      byPid = next;
      known = true;
    },
  };
}

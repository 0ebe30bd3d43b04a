/*
 * The systemd unit of a process from /proc/PID/cgroup (cgroups(7); proc_cgroup_show() in kernel/cgroup/cgroup.c):
 * the Services column on Linux. systemd puts each unit's processes in a cgroup named after the unit, so the
 * deepest path component that names a unit says which one runs it: '/system.slice/nginx.service' → nginx.service,
 * '/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service' → foo.service (a user unit). A process in a
 * scope or slice (a login session, a terminal's shell, 'init.scope') is in no service. Read once per process
 * identity (a process's cgroup rarely changes) and again at the identity checkpoints.
 */

/** systemd's unit suffixes (systemd.unit(5)) that can hold processes. */
const UNIT_SUFFIXES = ['.service', '.scope', '.slice'];

/**
 * The path systemd manages: the v1 'name=systemd' hierarchy where there is one (hybrid mounts), else the unified
 * (v2, '0::') line. Null when neither line is there.
 */
export function systemdCgroupPath(text: string): string | null {
  let unified: string | null = null;
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (controllers === 'name=systemd') return path;
    if (line.startsWith('0::')) unified = path;
  }
  return unified;
}

/** The service unit a cgroup path belongs to, or null (root, a scope, a slice, not systemd-managed). */
export function serviceUnitOfCgroupPath(path: string): string | null {
  const parts = path.split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i]!;
    const suffix = UNIT_SUFFIXES.find((s) => part.endsWith(s) && part.length > s.length);
    if (suffix === undefined) continue;
    // The deepest unit: a service's own sub-cgroups (delegation) sit below it and are not units.
    return suffix === '.service' ? unescapeUnitName(part) : null;
  }
  return null;
}

/** Unit names escape '\' + 'x' + two hex digits in cgroup paths (systemd-escape(1)); show them as systemctl does. */
function unescapeUnitName(name: string): string {
  return name.includes('\\x') ? name.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : name;
}

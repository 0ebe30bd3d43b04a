/*
 * The services the Service Control Manager knows, with the pid hosting each (winsvc.h on learn.microsoft.com:
 * OpenSCManagerW, EnumServicesStatusExW with SC_ENUM_PROCESS_INFO, CloseServiceHandle; Windows XP+). One reader for
 * the Services column (the row) and the Properties window's Services tab. Callers get plain records.
 */
import koffi from 'koffi';
import { getLastError } from './kernel32';
import { parseServiceEntries, type ServiceRecord } from './detail-structs';
import { winLibrary } from './win-types';

export type { ServiceRecord } from './detail-structs';

const advapi32 = winLibrary('advapi32.dll');

const SC_MANAGER_CONNECT = 0x1;
const SC_MANAGER_ENUMERATE_SERVICE = 0x4;
const SC_ENUM_PROCESS_INFO = 0;
/** SERVICE_WIN32_OWN_PROCESS | SERVICE_WIN32_SHARE_PROCESS: the services that run in a process of their own or shared. */
const SERVICE_WIN32 = 0x30;
const SERVICE_STATE_ALL = 3;
const ERROR_MORE_DATA = 234;

/**
 * Every Win32 service (running or not: a stopped one has pid 0). Throws with the Windows error when the SCM cannot
 * be opened or listed. Needs no elevation: SC_MANAGER_ENUMERATE_SERVICE is granted to authenticated users.
 */
export function enumServices(): ServiceRecord[] {
  const open = advapi32.fn('void * __stdcall OpenSCManagerW(str16 machine, str16 db, uint32_t access)');
  const close = advapi32.fn('bool __stdcall CloseServiceHandle(void *h)');
  const list = advapi32.fn(
    'bool __stdcall EnumServicesStatusExW(void *h, int level, uint32_t type, uint32_t state, _Out_ void *buf, uint32_t size, ' +
      '_Out_ uint32_t *needed, _Out_ uint32_t *returned, _Inout_ uint32_t *resume, str16 group)',
  );
  const scm = open(null, null, SC_MANAGER_CONNECT | SC_MANAGER_ENUMERATE_SERVICE);
  if (!scm || koffi.address(scm) === 0n) throw new Error(`OpenSCManagerW failed with Windows error ${getLastError()}.`);
  try {
    const out: ServiceRecord[] = [];
    const resume = [0];
    let size = 64 * 1024;
    for (let round = 0; round < 64; round++) {
      const buf = Buffer.allocUnsafeSlow(size);
      const needed = [0];
      const returned = [0];
      const ok = list(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32, SERVICE_STATE_ALL, buf, size, needed, returned, resume, null) as boolean;
      const error = ok ? 0 : getLastError();
      if (!ok && error !== ERROR_MORE_DATA) throw new Error(`EnumServicesStatusExW failed with Windows error ${error}.`);
      out.push(...parseServiceEntries(buf, koffi.address(buf), returned[0] ?? 0));
      if (ok) return out;
      // More to come from `resume` on; grow when not even one entry fitted.
      if ((returned[0] ?? 0) === 0) size = Math.max(size * 2, (needed[0] ?? 0) + 4096);
    }
    return out;
  } finally {
    close(scm);
  }
}

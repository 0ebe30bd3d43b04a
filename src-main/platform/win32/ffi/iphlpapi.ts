/*
 * koffi declarations for iphlpapi.dll (iphlpapi.h on learn.microsoft.com, Windows XP SP2+): the TCP and UDP endpoint
 * tables with their owning pid (GetExtendedTcpTable TCP_TABLE_OWNER_PID_ALL, GetExtendedUdpTable UDP_TABLE_OWNER_PID),
 * for IPv4 and IPv6, decoded by detail-structs.ts. Callers get plain records.
 */
import { parseSocketTable, type SocketRecord } from './detail-structs';
import { winLibrary } from './win-types';

const iphlpapi = winLibrary('iphlpapi.dll');

const AF_INET = 2;
const AF_INET6 = 23;
const TCP_TABLE_OWNER_PID_ALL = 5;
const UDP_TABLE_OWNER_PID = 1;
const NO_ERROR = 0;
const ERROR_INSUFFICIENT_BUFFER = 122;

function table(fnName: 'GetExtendedTcpTable' | 'GetExtendedUdpTable', af: number, cls: number): Buffer {
  const f = iphlpapi.fn(`uint32_t __stdcall ${fnName}(_Out_ void *table, _Inout_ uint32_t *size, bool order, uint32_t af, int cls, uint32_t reserved)`);
  let size = 16 * 1024;
  for (let attempt = 0; attempt < 8; attempt++) {
    const b = Buffer.alloc(size);
    const inout = [size];
    const r = f(b, inout, true, af, cls, 0) as number;
    if (r === NO_ERROR) return b;
    if (r !== ERROR_INSUFFICIENT_BUFFER) throw new Error(`${fnName} failed with Windows error ${r}.`);
    size = Math.max(size * 2, (inout[0] ?? 0) + 4096);
  }
  throw new Error(`${fnName} kept asking for a bigger buffer.`);
}

/** The TCP and UDP endpoints (IPv4 and IPv6) owned by `pid`, or every process's when pid is null. */
export function readSocketTables(pid: number | null): SocketRecord[] {
  return [
    ...parseSocketTable('tcp', table('GetExtendedTcpTable', AF_INET, TCP_TABLE_OWNER_PID_ALL), pid),
    ...parseSocketTable('tcp6', table('GetExtendedTcpTable', AF_INET6, TCP_TABLE_OWNER_PID_ALL), pid),
    ...parseSocketTable('udp', table('GetExtendedUdpTable', AF_INET, UDP_TABLE_OWNER_PID), pid),
    ...parseSocketTable('udp6', table('GetExtendedUdpTable', AF_INET6, UDP_TABLE_OWNER_PID), pid),
  ];
}

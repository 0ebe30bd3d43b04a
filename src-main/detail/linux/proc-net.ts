/*
 * The socket tables of a network namespace as a process sees them: /proc/PID/net/{tcp,tcp6,udp,udp6,unix}
 * (proc(5); tcp4_seq_show() in net/ipv4/tcp_ipv4.c, udp4_format_sock(), unix_seq_show()). Read through the process's
 * own /proc/PID/net, so a process in another net namespace (a container) gets its namespace's table. A socket fd
 * names only an inode (socket:[12345]); these tables map the inode to its addresses and state.
 *
 * Addresses: the kernel prints each 32-bit word of the address in the host's byte order as 8 hex digits, so on
 * little-endian x86-64 127.0.0.1 is 0100007F and ::1 is 00000000000000000000000001000000; ports are big-endian hex.
 */
import { readFile } from 'node:fs/promises';
import type { SocketDetail, SocketProtocol } from '../../../src-shared/model/process-detail';

/** include/net/tcp_states.h */
const TCP_STATES = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV'];

/** The 8-hex-digit words of an address (host byte order per word) as bytes in network order. */
function addressBytes(hex: string): number[] | null {
  if (hex.length !== 8 && hex.length !== 32) return null;
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = parseInt(hex.slice(w, w + 8), 16);
    if (Number.isNaN(word)) return null;
    bytes.push(word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, (word >>> 24) & 0xff);
  }
  return bytes;
}

/** RFC 5952 text: lower case, the longest run of zero groups (≥ 2) as '::', IPv4-mapped as ::ffff:a.b.c.d. */
export function formatIpv6(bytes: readonly number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${bytes.slice(12).join('.')}`;
  let bestAt = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

/** '0100007F:0050' → { address: '127.0.0.1', port: 80 }; null if it is not an address. */
export function decodeAddress(field: string): { address: string; port: number } | null {
  const colon = field.indexOf(':');
  if (colon < 0) return null;
  const bytes = addressBytes(field.slice(0, colon));
  const port = parseInt(field.slice(colon + 1), 16);
  if (!bytes || Number.isNaN(port)) return null;
  return { address: bytes.length === 4 ? bytes.join('.') : formatIpv6(bytes), port };
}

export interface InetSocket extends SocketDetail {
  inode: number;
}

/** One /proc/net/{tcp,tcp6,udp,udp6} table. */
export function parseInetTable(text: string, protocol: Exclude<SocketProtocol, 'unix'>): InetSocket[] {
  const out: InetSocket[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = decodeAddress(f[1]!);
    const remote = decodeAddress(f[2]!);
    const inode = Number(f[9]);
    if (!local || !remote || !Number.isSafeInteger(inode)) continue;
    const st = parseInt(f[3]!, 16);
    const tcp = protocol === 'tcp' || protocol === 'tcp6';
    out.push({
      protocol,
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      // UDP uses the same numbers (7 = unconnected, 1 = connected) but they are not TCP states.
      state: tcp ? (TCP_STATES[st] ?? null) : st === 1 ? 'ESTABLISHED' : null,
      inode,
    });
  }
  return out;
}

/** /proc/net/unix: Num RefCount Protocol Flags Type St Inode [Path]. */
export function parseUnixTable(text: string): InetSocket[] {
  const out: InetSocket[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f.length < 7) continue;
    const inode = Number(f[6]);
    if (!Number.isSafeInteger(inode)) continue;
    const flags = parseInt(f[3]!, 16);
    const st = parseInt(f[5]!, 16);
    out.push({
      protocol: 'unix',
      localAddress: f.slice(7).join(' ') || '(unnamed)',
      localPort: null,
      remoteAddress: null,
      remotePort: null,
      // __SO_ACCEPTCON (1 << 16) marks a listening socket; SS_CONNECTED = 3.
      state: flags & 0x10000 ? 'LISTEN' : st === 3 ? 'CONNECTED' : null,
      inode,
    });
  }
  return out;
}

const TABLES: readonly (Exclude<SocketProtocol, 'unix'>)[] = ['tcp', 'tcp6', 'udp', 'udp6'];

/** Every socket of the process's net namespace by inode (a table the kernel does not have is skipped). */
export async function readSocketTables(pid: number): Promise<Map<number, InetSocket>> {
  const byInode = new Map<number, InetSocket>();
  const texts = await Promise.all(
    [...TABLES, 'unix' as const].map(async (t) => [t, await readFile(`/proc/${pid}/net/${t}`, 'latin1').catch(() => null)] as const),
  );
  for (const [table, text] of texts) {
    if (text === null) continue;
    for (const s of table === 'unix' ? parseUnixTable(text) : parseInetTable(text, table)) if (!byInode.has(s.inode)) byInode.set(s.inode, s);
  }
  return byInode;
}

/** 'TCP 127.0.0.1:80 → 10.0.0.2:5000 (ESTABLISHED)', 'TCP [::]:22 (LISTEN)', 'UNIX /run/x.sock'. */
export function describeSocket(s: SocketDetail): string {
  const host = (a: string): string => (a.includes(':') ? `[${a}]` : a);
  if (s.protocol === 'unix') return `UNIX ${s.localAddress}${s.state ? ` (${s.state})` : ''}`;
  const proto = s.protocol.startsWith('tcp') ? 'TCP' : 'UDP';
  const local = `${host(s.localAddress)}:${s.localPort}`;
  const connected = s.remotePort !== null && s.remotePort !== 0;
  const remote = connected ? ` → ${host(s.remoteAddress!)}:${s.remotePort}` : '';
  return `${proto} ${local}${remote}${s.state ? ` (${s.state})` : ''}`;
}

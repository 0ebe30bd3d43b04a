import { describe, expect, it } from 'vitest';
import { decodeAddress, describeSocket, formatIpv6, parseInetTable, parseUnixTable } from './proc-net';
import { dpkgOwnerOf } from './dpkg-owner';
import { existsSync } from 'node:fs';

// Lines as the kernel prints them (tcp4_seq_show / tcp6_seq_show / unix_seq_show), recorded on x86-64.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 1 0000000000000000 100 0 0 10 0
   1: 0100007F:A1B2 0200000A:1388 01 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:1F90 0000000000000000FFFF00000100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 778 1 0000000000000000 100 0 0 10 0
   2: B80D0120000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 779 2 0000000000000000 0
`;
const UNIX = `Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 15022 /run/systemd/notify
0000000000000000: 00000003 00000000 00000000 0001 03 15990
`;

describe('socket tables', () => {
  it('decodes IPv4 and IPv6 words in host order, ports big-endian', () => {
    expect(decodeAddress('0100007F:0050')).toEqual({ address: '127.0.0.1', port: 80 });
    expect(decodeAddress('00000000000000000000000001000000:1F90')).toEqual({ address: '::1', port: 8080 });
    expect(decodeAddress('0000000000000000FFFF00000100007F:C350')).toEqual({ address: '::ffff:127.0.0.1', port: 50000 });
    expect(decodeAddress('B80D0120000000000000000001000000:0035')).toEqual({ address: '2001:db8::1', port: 53 });
    expect(decodeAddress('nonsense')).toBeNull();
    expect(formatIpv6([0x20, 0x01, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1])).toBe('2001:0:1::1:0:1');
  });

  it('parses TCP, TCP6 and unix lines with state and inode', () => {
    const tcp = parseInetTable(TCP, 'tcp');
    expect(tcp).toEqual([
      { protocol: 'tcp', localAddress: '127.0.0.1', localPort: 80, remoteAddress: '0.0.0.0', remotePort: 0, state: 'LISTEN', inode: 31337 },
      { protocol: 'tcp', localAddress: '127.0.0.1', localPort: 0xa1b2, remoteAddress: '10.0.0.2', remotePort: 5000, state: 'ESTABLISHED', inode: 4242 },
    ]);
    expect(describeSocket(tcp[1]!)).toBe('TCP 127.0.0.1:41394 → 10.0.0.2:5000 (ESTABLISHED)');
    const tcp6 = parseInetTable(TCP6, 'tcp6');
    expect(tcp6.map(describeSocket)).toEqual(['TCP [::]:22 (LISTEN)', 'TCP [::1]:8080 → [::ffff:127.0.0.1]:50000 (ESTABLISHED)', 'TCP [2001:db8::1]:53 (CLOSE)']);
    expect(parseInetTable(TCP6, 'udp6')[2]).toMatchObject({ protocol: 'udp6', state: null, inode: 779 });
    expect(parseUnixTable(UNIX)).toEqual([
      { protocol: 'unix', localAddress: '/run/systemd/notify', localPort: null, remoteAddress: null, remotePort: null, state: 'LISTEN', inode: 15022 },
      { protocol: 'unix', localAddress: '(unnamed)', localPort: null, remoteAddress: null, remotePort: null, state: 'CONNECTED', inode: 15990 },
    ]);
  });
});

describe.runIf(existsSync('/var/lib/dpkg/info/bash.list'))('dpkg package owner', () => {
  it('finds the owner of /usr/bin/bash (listed as /bin/bash under merged /usr), and none for a temp file', async () => {
    const t0 = performance.now();
    expect(await dpkgOwnerOf('/usr/bin/bash')).toBe('bash');
    const cold = performance.now() - t0;
    const t1 = performance.now();
    expect(await dpkgOwnerOf('/usr/bin/bash')).toBe('bash');
    const warm = performance.now() - t1;
    const t2 = performance.now();
    expect(await dpkgOwnerOf('/tmp/not-packaged-procscope')).toBeNull();
    console.log(`dpkg owner: first ${cold.toFixed(1)} ms, cached ${warm.toFixed(2)} ms, full scan without a match ${(performance.now() - t2).toFixed(1)} ms`);
    expect(await dpkgOwnerOf('/usr/bin/bash', '/nonexistent-dpkg-info')).toBeNull();
  });
});

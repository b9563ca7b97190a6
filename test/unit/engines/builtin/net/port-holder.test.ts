import { describe, expect, it } from 'vitest';
import { inodesForPort } from '../../../../../src/engines/builtin/net/port-holder.js';

// The layout of /proc/net/tcp and /proc/net/tcp6 (Linux's tcp4_seq_show / tcp6_seq_show).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 123999 1 0000000000000000 20 4 30 10 -1
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 424242 1 0000000000000000 100 0 0 10 0
`;

describe('port holder lookup', () => {
  it('finds listening sockets on a port in the IPv4 and IPv6 tables', () => {
    expect(inodesForPort(TCP, 8080, true)).toEqual(['123456']);
    expect(inodesForPort(TCP6, 8080, true)).toEqual(['424242']);
    expect(inodesForPort(TCP, 22, true)).toEqual(['777']);
    expect(inodesForPort(TCP, 9999, true)).toEqual([]);
  });

  it('takes any state for UDP and skips malformed lines', () => {
    expect(inodesForPort(TCP, 8080, false)).toEqual(['123456', '123999']);
    expect(inodesForPort('header\ngarbage line\n\n', 8080, false)).toEqual([]);
  });
});

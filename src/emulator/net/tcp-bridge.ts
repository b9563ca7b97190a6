// Joins a NAT TCP connection to a host socket, both ways, with back-pressure: guest data is
// written to the host socket and the advertised window shrinks by what the socket still buffers;
// host data fills the connection's send buffer and pauses the socket while it is over its mark.
// FIN maps to end(), RST and errors to reset().

import type { HostTcpSocket, NetClock, TimerHandle } from './net-host.js';
import type { TcpCloseReason, TcpConnection } from './tcp-connection.js';

export interface TcpBridgeOptions {
  /** Outbound: the socket is still connecting, and the guest's SYN waits for it. Inbound: it is connected. */
  outbound: boolean;
  clock: NetClock;
  connectTimeoutMs: number;
  /** Called once when both sides are finished. */
  onDone(reason: TcpCloseReason, hostError: string | undefined): void;
  /** Called once when an outbound connect completed or failed. */
  onConnectSettled?(): void;
}

export function bridgeTcp(conn: TcpConnection, socket: HostTcpSocket, opts: TcpBridgeOptions): void {
  let hostConnected = !opts.outbound;
  let hostClosed = false;
  let hostEnded = false;
  let hostError: string | undefined;
  let paused = false;
  let settled = !opts.outbound;
  let connectTimer: TimerHandle | undefined;

  const settle = (): void => {
    if (settled) return;
    settled = true;
    if (connectTimer !== undefined) opts.clock.clearTimer(connectTimer);
    connectTimer = undefined;
    opts.onConnectSettled?.();
  };

  conn.events = {
    onEstablished() {
      // The host's first bytes (a request) usually wait in the socket already: send them with the handshake's ACK.
      if (!opts.outbound && !paused) {
        if (socket.resumeNow !== undefined) socket.resumeNow();
        else socket.resume();
      }
    },
    onData(data) {
      if (!hostClosed) socket.write(data);
    },
    onRemoteFin() {
      if (!hostClosed) socket.end();
    },
    onSendSpace() {
      if (paused) {
        paused = false;
        if (!hostClosed) socket.resume();
      }
    },
    onClosed(reason) {
      settle();
      // A clean close already ended the socket on the guest's FIN; anything else resets the host peer.
      if (!hostClosed && reason !== 'normal') socket.reset();
      else if (!hostClosed && !hostEnded) socket.end();
      opts.onDone(reason, hostError);
    },
    unconsumed: () => (hostClosed ? 0 : socket.bufferedBytes),
  };

  socket.attach({
    onConnect() {
      hostConnected = true;
      settle();
      conn.accept();
    },
    onData(data) {
      if (conn.isClosed()) return;
      if (!conn.send(data)) {
        paused = true;
        socket.pause();
      }
    },
    onDrain() {
      conn.windowMayHaveOpened();
    },
    onEnd() {
      hostEnded = true;
      conn.shutdownWrite();
    },
    onClose(error) {
      hostClosed = true;
      hostError = error;
      if (conn.isClosed()) return;
      if (!hostConnected) {
        settle();
        conn.refuse();
      } else if (error !== undefined || !conn.remoteFinReceived || !hostEnded) {
        conn.abort();
      }
      // Otherwise both directions finished cleanly; the connection completes its FIN exchange alone.
    },
  });

  if (opts.outbound) {
    connectTimer = opts.clock.setTimer(() => {
      connectTimer = undefined;
      if (hostConnected || conn.isClosed()) return;
      hostError = 'connect timed out';
      settle();
      conn.refuse();
      socket.reset();
    }, opts.connectTimeoutMs);
  } else {
    // Host bytes wait until the guest accepted the connection.
    socket.pause();
    conn.connect();
  }
}

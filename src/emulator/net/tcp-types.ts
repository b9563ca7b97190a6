// The shapes around a NAT TCP connection (RFC 9293 §3.3.2 state names): states, why a connection
// ended, what it tells its owner, and the tunables with their defaults.

export type TcpState =
  | 'SYN_SENT'
  | 'SYN_RECEIVED'
  | 'ESTABLISHED'
  | 'FIN_WAIT_1'
  | 'FIN_WAIT_2'
  | 'CLOSING'
  | 'TIME_WAIT'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'CLOSED';

/** normal: both FINs exchanged; reset: the guest sent RST; refused: handshake rejected; timeout: retries ran out; aborted: `abort()`. */
export type TcpCloseReason = 'normal' | 'reset' | 'refused' | 'timeout' | 'aborted';

export interface TcpConnectionEvents {
  onEstablished(): void;
  /** In-order data from the guest (a private copy). */
  onData(data: Uint8Array): void;
  /** The guest will send no more. */
  onRemoteFin(): void;
  /** The send buffer fell below its low-water mark after `send` had returned false. */
  onSendSpace(): void;
  /** Called once; the connection is finished. */
  onClosed(reason: TcpCloseReason): void;
  /** Bytes given to onData that the consumer still holds: they shrink the advertised window. */
  unconsumed(): number;
}

export const NO_EVENTS: TcpConnectionEvents = {
  onEstablished() {},
  onData() {},
  onRemoteFin() {},
  onSendSpace() {},
  onClosed() {},
  unconsumed: () => 0,
};

export interface TcpTuning {
  /** The MSS we advertise: the guest link's MTU minus IPv4 and TCP headers. */
  mss: number;
  /** Receive buffer: most bytes from the guest the NAT holds for the host side. */
  rcvBufSize: number;
  /** Send buffer high-water mark: above it the host side is asked to pause. */
  sndBufSize: number;
  initialRtoMs: number;
  minRtoMs: number;
  maxRtoMs: number;
  /** Retransmissions of data (or FIN) before the connection is reset. */
  maxRetries: number;
  /** Retransmissions of SYN or SYN-ACK before giving up. */
  maxSynRetries: number;
  timeWaitMs: number;
  delayedAckMs: number;
}

export const DEFAULT_TCP_TUNING: TcpTuning = {
  mss: 1460,
  rcvBufSize: 128 * 1024,
  sndBufSize: 128 * 1024,
  initialRtoMs: 1000,
  minRtoMs: 200,
  maxRtoMs: 60_000,
  maxRetries: 12,
  maxSynRetries: 6,
  timeWaitMs: 2000,
  delayedAckMs: 10,
};

// What the user-mode NAT needs from the host, as small interfaces: outbound TCP and UDP sockets,
// a name resolver and timers. `src/engines/builtin/net` implements them with Node; tests may
// drive the NAT with their own. Nothing here may block: every result arrives through a callback.

/** Events of a host TCP socket. Called asynchronously, never from inside a method call. */
export interface HostTcpHandlers {
  /** The outbound connection is established (never fires for sockets that were accepted). */
  onConnect(): void;
  onData(data: Uint8Array): void;
  /** Everything written was flushed after `write` had returned false. */
  onDrain(): void;
  /** The peer finished sending (FIN). */
  onEnd(): void;
  /** The socket is gone. `error` is set when it failed (refused, reset, timed out). */
  onClose(error: string | undefined): void;
}

export interface HostTcpSocket {
  /** Must be called before any event can be delivered; events before it are held back. */
  attach(handlers: HostTcpHandlers): void;
  /** Queues data; false once the socket's own buffer passed its high-water mark. */
  write(data: Uint8Array): boolean;
  /** Bytes accepted by `write` and not yet handed to the kernel. */
  readonly bufferedBytes: number;
  /** Stop / restart reading from the host peer (back-pressure). */
  pause(): void;
  resume(): void;
  /**
   * Optional: resume and hand over data the socket already holds before returning (synchronously),
   * so it can ride with the segment being processed instead of waiting for the next event-loop turn.
   */
  resumeNow?(): void;
  /** Half-close: send FIN after queued data. */
  end(): void;
  /** Abort: the peer sees a reset where the platform allows it. */
  reset(): void;
}

export interface HostUdpHandlers {
  onMessage(data: Uint8Array, fromIp: string, fromPort: number): void;
  onError(error: string): void;
}

export interface HostUdpSocket {
  attach(handlers: HostUdpHandlers): void;
  send(data: Uint8Array, ip: string, port: number): void;
  close(): void;
}

export type DnsRecordType = 'A' | 'AAAA' | 'CNAME';

export interface DnsAnswer {
  type: DnsRecordType;
  /** The owner name of the record. */
  name: string;
  /** Address text for A/AAAA, the target name for CNAME. */
  value: string;
  ttl: number;
}

export interface DnsResult {
  status: 'ok' | 'nxdomain' | 'servfail';
  answers: DnsAnswer[];
}

export interface DnsResolver {
  /** Resolves with a status; rejecting counts as SERVFAIL. */
  resolve(name: string, type: DnsRecordType): Promise<DnsResult>;
}

export interface NetHost {
  /** Starts connecting to ip:port on the host's network. Failures arrive as onClose(error). */
  connectTcp(ip: string, port: number): HostTcpSocket;
  /** A UDP socket bound to an ephemeral port. */
  openUdp(): HostUdpSocket;
  readonly resolver: DnsResolver;
}

export type TimerHandle = unknown;

/** Host time in milliseconds and one-shot timers. */
export interface NetClock {
  now(): number;
  setTimer(callback: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

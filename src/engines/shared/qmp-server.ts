// The subset of QMP (QEMU Machine Protocol, docs/interop/qmp-spec.rst) served on qmp.sock by the
// engines whose process is ours (the builtin engine's, the libvirt engine's domain keeper), so
// lifecycle code drives every engine the same way: greeting, capabilities negotiation,
// qmp_capabilities, query-status, system_powerdown, system_reset, quit, and the SHUTDOWN/RESET/
// POWERDOWN events. Commands are JSON objects, read as a stream (newlines optional, as in QEMU).
import type { Server, Socket } from 'node:net';

/** A command longer than this is refused and the connection closed (a client must not grow us). */
const MAX_COMMAND_BYTES = 64 * 1024;

export type QmpResult = { return: unknown } | { error: { class: string; desc: string } };

export interface QmpBackend {
  /** QMP RunState: "running", "shutdown", ... */
  runState(): string;
  /** Ask the guest to power off; an error text when this machine has no way to ask. */
  powerdown(): string | undefined;
  /** Reboot the machine (a hard reset, as pressing the reset button). */
  reset(): void;
  /** Stop the machine now and end the engine. */
  quit(): void;
  /** Save the machine's state to `path` and end the engine; resolves to an error text when it cannot. */
  suspend?(path: string): Promise<string | undefined>;
  /** Snapshot disks and memory into folder `dir`, the machine running on; an error text when it cannot. */
  snapshot?(dir: string, layer?: string): Promise<string | undefined>;
}

const VERSION = { qemu: { major: 0, minor: 0, micro: 0 }, package: 'vm builtin engine' };

const commandNotFound = (name: string): QmpResult => ({ error: { class: 'CommandNotFound', desc: `The command ${name} has not been found` } });
const genericError = (desc: string): QmpResult => ({ error: { class: 'GenericError', desc } });

/** Splits a byte stream into top-level JSON object texts (strings and escapes respected). */
export class JsonObjectSplitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;

  /** Adds text; returns the complete objects found, or null when the input is not a JSON object stream. */
  push(text: string): string[] | null {
    this.buf += text;
    const out: string[] = [];
    let i = this.scanned;
    for (; i < this.buf.length; i++) {
      const ch = this.buf[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === '\\') this.escaped = true;
        else if (ch === '"') this.inString = false;
        continue;
      }
      if (ch === '"') {
        if (this.depth === 0) return null;
        this.inString = true;
      } else if (ch === '{') {
        if (this.depth === 0) this.start = i;
        this.depth++;
      } else if (ch === '}') {
        if (this.depth === 0) return null;
        this.depth--;
        if (this.depth === 0) out.push(this.buf.slice(this.start, i + 1));
      } else if (this.depth === 0 && !/\s/.test(ch)) {
        return null;
      }
    }
    if (this.depth === 0) {
      this.buf = '';
      this.scanned = 0;
    } else {
      this.buf = this.buf.slice(this.start);
      this.scanned = this.buf.length;
      this.start = 0;
    }
    return out;
  }

  get pendingBytes(): number {
    return this.buf.length;
  }
}

interface Session {
  socket: Socket;
  negotiated: boolean;
}

export class QmpServer {
  private readonly sessions = new Set<Session>();

  constructor(private readonly backend: QmpBackend) {}

  /** Serve QMP on every connection `server` accepts. */
  serve(server: Server): void {
    server.on('connection', (s) => this.accept(s));
  }

  accept(socket: Socket): void {
    const session: Session = { socket, negotiated: false };
    this.sessions.add(session);
    const splitter = new JsonObjectSplitter();
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('close', () => this.sessions.delete(session));
    this.send(session, { QMP: { version: VERSION, capabilities: [] } });
    socket.on('data', (text: string) => {
      const objects = splitter.push(text);
      if (objects === null || splitter.pendingBytes > MAX_COMMAND_BYTES) {
        this.send(session, genericError('JSON parse error: expected a stream of JSON objects'));
        socket.end();
        return;
      }
      for (const o of objects) this.handle(session, o);
    });
  }

  /** Sends an asynchronous event to every negotiated client. */
  event(name: string, data?: Record<string, unknown>): void {
    const now = Date.now();
    const msg = { event: name, ...(data ? { data } : {}), timestamp: { seconds: Math.floor(now / 1000), microseconds: (now % 1000) * 1000 } };
    for (const s of this.sessions) if (s.negotiated) this.send(s, msg);
  }

  /** Ends every session (after queued replies and events). */
  close(): void {
    for (const s of this.sessions) s.socket.end();
    this.sessions.clear();
  }

  private send(s: Session, msg: unknown): void {
    if (!s.socket.destroyed) s.socket.write(`${JSON.stringify(msg)}\r\n`);
  }

  private handle(s: Session, text: string): void {
    let cmd: { execute?: unknown; id?: unknown; arguments?: unknown };
    try {
      cmd = JSON.parse(text) as typeof cmd;
    } catch {
      this.send(s, genericError('JSON parse error'));
      return;
    }
    const id = cmd.id;
    const reply = (r: QmpResult): void => this.send(s, id === undefined ? r : { ...r, id });
    if (typeof cmd.execute !== 'string') {
      reply(genericError("QMP input lacks member 'execute'"));
      return;
    }
    const name = cmd.execute;
    if (!s.negotiated) {
      if (name === 'qmp_capabilities') {
        s.negotiated = true;
        reply({ return: {} });
      } else {
        reply({ error: { class: 'CommandNotFound', desc: "Expecting capabilities negotiation with 'qmp_capabilities'" } });
      }
      return;
    }
    switch (name) {
      case 'qmp_capabilities':
        reply({ error: { class: 'CommandNotFound', desc: 'Capabilities negotiation is already complete, command ignored' } });
        return;
      case 'query-status': {
        const status = this.backend.runState();
        reply({ return: { status, singlestep: false, running: status === 'running' } });
        return;
      }
      case 'system_powerdown': {
        const err = this.backend.powerdown();
        if (err) reply(genericError(err));
        else {
          reply({ return: {} });
          this.event('POWERDOWN');
        }
        return;
      }
      case 'system_reset':
        reply({ return: {} });
        this.backend.reset();
        return;
      case 'quit':
        reply({ return: {} });
        this.backend.quit();
        return;
      case 'x-vm-suspend': {
        const args = (cmd.arguments ?? {}) as { path?: unknown };
        if (!this.backend.suspend) return reply(commandNotFound(name));
        if (typeof args.path !== 'string' || args.path === '') return reply(genericError("x-vm-suspend needs the argument 'path'"));
        void this.backend.suspend(args.path).then((err) => reply(err ? genericError(err) : { return: {} }));
        return;
      }
      case 'x-vm-snapshot': {
        const args = (cmd.arguments ?? {}) as { dir?: unknown; layer?: unknown };
        if (!this.backend.snapshot) return reply(commandNotFound(name));
        if (typeof args.dir !== 'string' || args.dir === '') return reply(genericError("x-vm-snapshot needs the argument 'dir'"));
        if (args.layer !== undefined && typeof args.layer !== 'string') return reply(genericError("x-vm-snapshot's 'layer' is a string"));
        void this.backend.snapshot(args.dir, args.layer).then((err) => reply(err ? genericError(err) : { return: {} }));
        return;
      }
      default:
        reply(commandNotFound(name));
    }
  }
}

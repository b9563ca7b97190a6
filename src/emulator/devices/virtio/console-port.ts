// One port of the virtio console as the host sees it: a byte stream each way with bounded buffers
// and flow control, plus the open/closed state of both ends. The device (console.ts) moves its
// bytes through the queues. Spec: Virtio 1.2, 5.3 "Console Device" (5.3.6 device operation).

import { SnapshotError, type StateObject, type StateReader } from '../../snapshot/state-value.js';

export interface ConsolePortOptions {
  /** Sent to the guest with PORT_NAME (sysfs `name`, /dev/virtio-ports/NAME under udev). */
  name?: string;
  /** Announce the port as a console (CONSOLE_PORT: the guest makes it an hvc terminal). */
  console?: boolean;
  /** Host->guest bytes held at most until the guest reads them (default 256 KiB). */
  inputLimit?: number;
}

/** Receives what the guest does with a port. */
export interface ConsolePortSink {
  /** Bytes the guest wrote. Return false when full: nothing more is taken until `resumeOutput()`. */
  output(bytes: Uint8Array): boolean;
  /** The guest opened (true) or closed (false) its end. */
  guestOpen?(open: boolean): void;
  /** Room appeared in the input buffer after `write` accepted less than it was given. */
  inputDrained?(): void;
}

const DEFAULT_INPUT_LIMIT = 256 * 1024;

export class ConsolePort {
  readonly name: string | undefined;
  readonly isConsole: boolean;
  readonly inputLimit: number;
  /** Set by whoever consumes this port's output; until then output is taken and dropped. */
  sink: ConsolePortSink | null = null;
  /** Bytes the guest wrote while no sink was set. */
  droppedOutput = 0;
  private readonly input: Uint8Array[] = [];
  private inputBytes = 0;
  private wantDrain = false;
  private hostOpen = true;
  private guestIsOpen = false;
  /** Device hooks: set by VirtioConsole. */
  onInput: () => void = () => {};
  onHostOpen: (open: boolean) => void = () => {};
  onResume: () => void = () => {};

  constructor(
    readonly id: number,
    o: ConsolePortOptions = {},
  ) {
    this.name = o.name;
    this.isConsole = o.console ?? false;
    this.inputLimit = o.inputLimit ?? DEFAULT_INPUT_LIMIT;
  }

  /** Input not yet delivered and both ends' open state; the sink is the host's and is not saved. */
  saveState(): StateObject {
    const input = new Uint8Array(this.inputBytes);
    let at = 0;
    for (const b of this.input) {
      input.set(b, at);
      at += b.length;
    }
    return { input, hostOpen: this.hostOpen, guestOpen: this.guestIsOpen, droppedOutput: this.droppedOutput };
  }

  /** Sets the state without telling anyone (no sink yet, and the guest already knows it). */
  restoreState(r: StateReader): void {
    const input = r.bytes('input');
    if (input.length > this.inputLimit) throw new SnapshotError(`${r.path}.input: ${input.length} bytes exceed the port's limit of ${this.inputLimit}`);
    this.input.length = 0;
    if (input.length > 0) this.input.push(input);
    this.inputBytes = input.length;
    this.wantDrain = false;
    this.hostOpen = r.bool('hostOpen');
    this.guestIsOpen = r.bool('guestOpen');
    this.droppedOutput = r.int('droppedOutput', 0);
  }

  /** Queue bytes for the guest. Returns how many were accepted (the rest did not fit; see inputDrained). */
  write(bytes: Uint8Array): number {
    const n = Math.min(bytes.length, this.inputLimit - this.inputBytes);
    if (n < bytes.length) this.wantDrain = true;
    if (n <= 0) return 0;
    this.input.push(bytes.slice(0, n));
    this.inputBytes += n;
    this.onInput();
    return n;
  }

  /** Bytes accepted by `write` and not yet delivered to the guest. */
  get pendingInput(): number {
    return this.inputBytes;
  }

  get guestOpen(): boolean {
    return this.guestIsOpen;
  }

  get hostConnected(): boolean {
    return this.hostOpen;
  }

  /**
   * Whether a host program is attached (PORT_OPEN to the guest). While false, the guest's reads see
   * end-of-file and its writes wait. Ports start connected.
   */
  setHostConnected(open: boolean): void {
    if (open === this.hostOpen) return;
    this.hostOpen = open;
    this.onHostOpen(open);
  }

  /** The sink has room again after returning false. */
  resumeOutput(): void {
    this.onResume();
  }

  /** Device side: take up to `max` input bytes for the guest. */
  takeInput(max: number): Uint8Array | null {
    const first = this.input[0];
    if (!first || max <= 0) return null;
    let out: Uint8Array;
    if (first.length <= max) {
      this.input.shift();
      out = first;
    } else {
      out = first.subarray(0, max);
      this.input[0] = first.subarray(max);
    }
    this.inputBytes -= out.length;
    if (this.wantDrain && this.inputBytes < this.inputLimit / 2) {
      this.wantDrain = false;
      this.sink?.inputDrained?.();
    }
    return out;
  }

  /** Device side: the guest's end opened or closed. */
  setGuestOpen(open: boolean): void {
    if (open === this.guestIsOpen) return;
    this.guestIsOpen = open;
    this.sink?.guestOpen?.(open);
  }

  /** Device side: hand guest output to the sink. False = stop taking more. */
  deliverOutput(bytes: Uint8Array): boolean {
    if (!this.sink) {
      this.droppedOutput += bytes.length;
      return true;
    }
    return this.sink.output(bytes);
  }
}

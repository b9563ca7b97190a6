// NS16550A UART with FIFOs, as Linux's 8250 driver and OpenSBI's uart8250 driver drive it.
// Reference: TI PC16550D datasheet (SNLS378C), register map and "Interrupt Identification Register"
// priorities; behaviour cross-checked with QEMU hw/char/serial.c. Transmission is instantaneous:
// the transmitter is always empty, so LSR.THRE/TEMT are always set.

import type { MmioDevice } from '../memory/bus.js';
import { SnapshotError, type StateObject, type StateReader } from '../snapshot/state-value.js';

// Register offsets (reg-shift 0, byte-wide as on `virt`).
const UART_RBR_THR_DLL = 0;
const UART_IER_DLM = 1;
const UART_IIR_FCR = 2;
const UART_LCR = 3;
const UART_MCR = 4;
const UART_LSR = 5;
const UART_MSR = 6;
const UART_SCR = 7;

const UART_IER_RDI = 0x01; // received data available
const UART_IER_THRI = 0x02; // transmitter holding register empty
const UART_IER_RLSI = 0x04; // receiver line status
const UART_IER_MSI = 0x08; // modem status

const UART_IIR_NO_INT = 0x01;
const UART_IIR_MSI = 0x00;
const UART_IIR_THRI = 0x02;
const UART_IIR_RDI = 0x04;
const UART_IIR_RLSI = 0x06;
const UART_IIR_CTI = 0x0c; // character timeout: data below the trigger level
const UART_IIR_FIFO_ENABLED = 0xc0;

const UART_FCR_ENABLE_FIFO = 0x01;
const UART_FCR_CLEAR_RCVR = 0x02;

const UART_LCR_DLAB = 0x80;

const UART_MCR_DTR = 0x01;
const UART_MCR_RTS = 0x02;
const UART_MCR_OUT1 = 0x04;
const UART_MCR_OUT2 = 0x08;
const UART_MCR_LOOP = 0x10;

const UART_LSR_DR = 0x01;
const UART_LSR_OE = 0x02;
const UART_LSR_THRE = 0x20;
const UART_LSR_TEMT = 0x40;

const UART_MSR_DCTS = 0x01;
const UART_MSR_DDSR = 0x02;
const UART_MSR_TERI = 0x04;
const UART_MSR_DDCD = 0x08;
const UART_MSR_CTS = 0x10;
const UART_MSR_DSR = 0x20;
const UART_MSR_RI = 0x40;
const UART_MSR_DCD = 0x80;
const UART_MSR_DELTAS = UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_TERI | UART_MSR_DDCD;

const RX_TRIGGER_LEVELS = [1, 4, 8, 14];

export interface Uart16550Options {
  /** Raise or lower the interrupt line (level). */
  irq: (level: boolean) => void;
  /** A transmitted byte. Must not block; the receiver bounds its own buffering. */
  transmit: (byte: number) => void;
  /** Bytes the receive queue holds before input is refused (overrun). */
  rxCapacity?: number;
}

export class Uart16550 implements MmioDevice {
  private readonly rx: Uint8Array;
  private rxHead = 0;
  private rxCount = 0;
  private ier = 0;
  private lcr = 0x03; // 8N1 after reset, as firmware expects
  private mcr = UART_MCR_OUT2;
  private fcr = 0;
  private scr = 0;
  private dll = 0x0c;
  private dlm = 0;
  private lsrErrors = 0; // OE, reported once and cleared by reading LSR
  private msrDeltas = 0;
  /** THRE interrupt pending; cleared by reading IIR when it reports THRI, or by writing THR. */
  private thrIpending = false;
  private irqLevel = false;
  /** Bytes refused because the receive queue was full. */
  overruns = 0;

  constructor(private readonly opts: Uart16550Options) {
    this.rx = new Uint8Array(Math.max(16, opts.rxCapacity ?? 4096));
  }

  saveState(): StateObject {
    const rx = new Uint8Array(this.rxCount);
    for (let i = 0; i < this.rxCount; i++) rx[i] = this.rx[(this.rxHead + i) % this.rx.length]!;
    return {
      rx,
      ier: this.ier,
      lcr: this.lcr,
      mcr: this.mcr,
      fcr: this.fcr,
      scr: this.scr,
      dll: this.dll,
      dlm: this.dlm,
      lsrErrors: this.lsrErrors,
      msrDeltas: this.msrDeltas,
      thrIpending: this.thrIpending,
      irqLevel: this.irqLevel,
    };
  }

  /** Sets the registers and the receive queue without driving the line (the PLIC is restored with it). */
  restoreState(r: StateReader): void {
    const rx = r.bytes('rx');
    if (rx.length > this.rx.length) throw new SnapshotError(`${r.path}: ${rx.length} received bytes do not fit a queue of ${this.rx.length}`);
    this.rx.set(rx, 0);
    this.rxHead = 0;
    this.rxCount = rx.length;
    this.ier = r.int('ier', 0, 255);
    this.lcr = r.int('lcr', 0, 255);
    this.mcr = r.int('mcr', 0, 255);
    this.fcr = r.int('fcr', 0, 255);
    this.scr = r.int('scr', 0, 255);
    this.dll = r.int('dll', 0, 255);
    this.dlm = r.int('dlm', 0, 255);
    this.lsrErrors = r.int('lsrErrors', 0, 255);
    this.msrDeltas = r.int('msrDeltas', 0, 255);
    this.thrIpending = r.bool('thrIpending');
    this.irqLevel = r.bool('irqLevel');
  }

  /** Free space in the receive queue. */
  get rxSpace(): number {
    return this.rx.length - this.rxCount;
  }

  /** Host input. Returns how many bytes were accepted; the rest are dropped (overrun). */
  receive(bytes: Uint8Array): number {
    let n = 0;
    for (const b of bytes) {
      if (!this.pushRx(b)) break;
      n++;
    }
    if (n < bytes.length) {
      this.overruns += bytes.length - n;
      this.lsrErrors |= UART_LSR_OE;
    }
    this.update();
    return n;
  }

  /** Take one received byte outside the register interface (SBI console_getchar); -1 if none. */
  takeReceived(): number {
    if (this.rxCount === 0) return -1;
    const b = this.popRx();
    this.update();
    return b;
  }

  private pushRx(b: number): boolean {
    if (this.rxCount === this.rx.length) return false;
    this.rx[(this.rxHead + this.rxCount) % this.rx.length] = b;
    this.rxCount++;
    return true;
  }

  private popRx(): number {
    if (this.rxCount === 0) return 0;
    const b = this.rx[this.rxHead]!;
    this.rxHead = (this.rxHead + 1) % this.rx.length;
    this.rxCount--;
    return b;
  }

  private get fifoEnabled(): boolean {
    return (this.fcr & UART_FCR_ENABLE_FIFO) !== 0;
  }

  private rxTrigger(): number {
    return this.fifoEnabled ? RX_TRIGGER_LEVELS[(this.fcr >> 6) & 3]! : 1;
  }

  private lsr(): number {
    let v = UART_LSR_THRE | UART_LSR_TEMT | this.lsrErrors;
    if (this.rxCount > 0) v |= UART_LSR_DR;
    return v;
  }

  private msr(): number {
    if (this.mcr & UART_MCR_LOOP) {
      // Loopback wires RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD (datasheet, MCR bit 4).
      let v = 0;
      if (this.mcr & UART_MCR_RTS) v |= UART_MSR_CTS;
      if (this.mcr & UART_MCR_DTR) v |= UART_MSR_DSR;
      if (this.mcr & UART_MCR_OUT1) v |= UART_MSR_RI;
      if (this.mcr & UART_MCR_OUT2) v |= UART_MSR_DCD;
      return v | this.msrDeltas;
    }
    // A terminal is always attached: carrier, data set ready, clear to send.
    return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS | this.msrDeltas;
  }

  /** The highest-priority pending interrupt, as IIR bits 3:0. */
  private iirCause(): number {
    if (this.ier & UART_IER_RLSI && this.lsrErrors) return UART_IIR_RLSI;
    if (this.ier & UART_IER_RDI && this.rxCount > 0) {
      return this.rxCount >= this.rxTrigger() ? UART_IIR_RDI : UART_IIR_CTI;
    }
    if (this.ier & UART_IER_THRI && this.thrIpending) return UART_IIR_THRI;
    if (this.ier & UART_IER_MSI && this.msrDeltas) return UART_IIR_MSI;
    return UART_IIR_NO_INT;
  }

  private update(): void {
    const level = this.iirCause() !== UART_IIR_NO_INT;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.opts.irq(level);
    }
  }

  read(offset: number, _size: 1 | 2 | 4): number {
    const dlab = (this.lcr & UART_LCR_DLAB) !== 0;
    let v = 0;
    switch (offset) {
      case UART_RBR_THR_DLL:
        if (dlab) v = this.dll;
        else v = this.popRx();
        break;
      case UART_IER_DLM:
        v = dlab ? this.dlm : this.ier;
        break;
      case UART_IIR_FCR: {
        const cause = this.iirCause();
        if (cause === UART_IIR_THRI) this.thrIpending = false;
        v = cause | (this.fifoEnabled ? UART_IIR_FIFO_ENABLED : 0);
        break;
      }
      case UART_LCR:
        v = this.lcr;
        break;
      case UART_MCR:
        v = this.mcr;
        break;
      case UART_LSR:
        v = this.lsr();
        this.lsrErrors = 0;
        break;
      case UART_MSR:
        v = this.msr();
        this.msrDeltas = 0;
        break;
      case UART_SCR:
        v = this.scr;
        break;
    }
    this.update();
    return v;
  }

  write(offset: number, _size: 1 | 2 | 4, value: number): void {
    const b = value & 0xff;
    const dlab = (this.lcr & UART_LCR_DLAB) !== 0;
    switch (offset) {
      case UART_RBR_THR_DLL:
        if (dlab) {
          this.dll = b;
          break;
        }
        if (this.mcr & UART_MCR_LOOP) {
          if (!this.pushRx(b)) this.lsrErrors |= UART_LSR_OE;
        } else {
          this.opts.transmit(b);
        }
        // The byte left at once: the holding register is empty again.
        this.thrIpending = true;
        break;
      case UART_IER_DLM:
        if (dlab) {
          this.dlm = b;
          break;
        }
        {
          const was = this.ier;
          this.ier = b & 0x0f;
          // Enabling ETBEI with THR empty raises THRI at once (datasheet; Linux's 8250 relies on it).
          if (!(was & UART_IER_THRI) && this.ier & UART_IER_THRI) this.thrIpending = true;
        }
        break;
      case UART_IIR_FCR:
        if (b & UART_FCR_CLEAR_RCVR || !(b & UART_FCR_ENABLE_FIFO)) {
          this.rxHead = 0;
          this.rxCount = 0;
        }
        this.fcr = b & 0xc9; // enable, DMA mode, trigger level; the clear bits self-reset
        break;
      case UART_LCR:
        this.lcr = b;
        break;
      case UART_MCR: {
        const before = this.msr() & ~UART_MSR_DELTAS;
        this.mcr = b & 0x1f;
        const after = this.msr() & ~UART_MSR_DELTAS;
        const changed = before ^ after;
        if (changed & UART_MSR_CTS) this.msrDeltas |= UART_MSR_DCTS;
        if (changed & UART_MSR_DSR) this.msrDeltas |= UART_MSR_DDSR;
        if (changed & UART_MSR_DCD) this.msrDeltas |= UART_MSR_DDCD;
        if (before & UART_MSR_RI && !(after & UART_MSR_RI)) this.msrDeltas |= UART_MSR_TERI;
        break;
      }
      case UART_SCR:
        this.scr = b;
        break;
      // LSR and MSR are read-only.
    }
    this.update();
  }
}

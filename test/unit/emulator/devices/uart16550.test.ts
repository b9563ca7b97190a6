// NS16550A register behaviour per the PC16550D datasheet, as Linux's 8250 driver relies on it.
import { describe, expect, it } from 'vitest';
import { Uart16550 } from '../../../../src/emulator/devices/uart16550.js';

const RBR = 0, THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

function make(rxCapacity?: number) {
  const out: number[] = [];
  const irq: boolean[] = [];
  const u = new Uart16550({ irq: (l) => irq.push(l), transmit: (b) => out.push(b), rxCapacity });
  const level = () => irq.at(-1) ?? false;
  return { u, out, irq, level };
}

describe('Uart16550', () => {
  it('transmits THR writes at once and always reports the transmitter empty', () => {
    const { u, out } = make();
    for (const c of 'hi\n') u.write(THR, 1, c.charCodeAt(0));
    expect(String.fromCharCode(...out)).toBe('hi\n');
    expect(u.read(LSR, 1) & 0x60).toBe(0x60); // THRE | TEMT
  });

  it('reads the divisor latches while LCR.DLAB is set, without transmitting', () => {
    const { u, out } = make();
    u.write(LCR, 1, 0x83);
    u.write(0, 1, 0x01);
    u.write(1, 1, 0x02);
    expect(u.read(0, 1)).toBe(0x01);
    expect(u.read(1, 1)).toBe(0x02);
    u.write(LCR, 1, 0x03);
    expect(u.read(IER, 1)).toBe(0);
    expect(out).toEqual([]);
  });

  it('keeps the scratch register', () => {
    const { u } = make();
    u.write(SCR, 1, 0xa5);
    expect(u.read(SCR, 1)).toBe(0xa5);
  });

  it('reports FIFOs enabled in IIR bits 7:6 after FCR enables them', () => {
    const { u } = make();
    expect(u.read(IIR, 1)).toBe(0x01);
    u.write(FCR, 1, 0xc7);
    expect(u.read(IIR, 1)).toBe(0xc1);
  });

  it('raises the RX interrupt with data and lowers it when the FIFO drains', () => {
    const { u, level } = make();
    u.write(FCR, 1, 0x81); // FIFO on, trigger level 8
    u.write(IER, 1, 0x01);
    expect(level()).toBe(false);
    expect(u.receive(new TextEncoder().encode('ab'))).toBe(2);
    expect(level()).toBe(true);
    expect(u.read(IIR, 1) & 0x0f).toBe(0x0c); // below trigger: character timeout
    expect(u.read(LSR, 1) & 1).toBe(1);
    expect(u.read(RBR, 1)).toBe(0x61);
    expect(u.read(RBR, 1)).toBe(0x62);
    expect(u.read(LSR, 1) & 1).toBe(0);
    expect(level()).toBe(false);
  });

  it('reports RDI (not CTI) once the trigger level is reached', () => {
    const { u } = make();
    u.write(FCR, 1, 0x41); // trigger level 4
    u.write(IER, 1, 0x01);
    u.receive(new Uint8Array([1, 2, 3, 4]));
    expect(u.read(IIR, 1) & 0x0f).toBe(0x04);
  });

  it('raises THRI when ETBEI is enabled, clears it on an IIR read, re-raises it on re-enable (8250 THRE test)', () => {
    const { u, level } = make();
    u.write(IER, 1, 0x02);
    expect(level()).toBe(true);
    expect(u.read(IIR, 1) & 0x0f).toBe(0x02);
    expect(u.read(IIR, 1) & 0x0f).toBe(0x01);
    expect(level()).toBe(false);
    u.write(IER, 1, 0);
    u.write(IER, 1, 0x02);
    expect(u.read(IIR, 1) & 0x0f).toBe(0x02);
  });

  it('raises THRI again after each THR write', () => {
    const { u, level } = make();
    u.write(IER, 1, 0x02);
    u.read(IIR, 1);
    expect(level()).toBe(false);
    u.write(THR, 1, 0x41);
    expect(level()).toBe(true);
  });

  it('gives RX data priority over THRI in IIR', () => {
    const { u } = make();
    u.write(IER, 1, 0x03);
    u.receive(new Uint8Array([0x31]));
    expect(u.read(IIR, 1) & 0x0f).toBe(0x04);
  });

  it('loops transmitted bytes back and mirrors MCR into MSR in loopback mode', () => {
    const { u, out } = make();
    u.write(MCR, 1, 0x10 | 0x0a); // LOOP | RTS | OUT2
    expect(u.read(MSR, 1) & 0xf0).toBe(0x90); // CTS | DCD, as 8250 autoconfig checks
    u.write(THR, 1, 0x55);
    expect(out).toEqual([]);
    expect(u.read(RBR, 1)).toBe(0x55);
  });

  it('reports carrier, DSR and CTS when not in loopback', () => {
    const { u } = make();
    expect(u.read(MSR, 1)).toBe(0xb0);
  });

  it('bounds the receive queue: overflow is dropped and flagged as overrun once', () => {
    const { u } = make(16);
    expect(u.receive(new Uint8Array(20).fill(7))).toBe(16);
    expect(u.overruns).toBe(4);
    expect(u.read(LSR, 1) & 0x02).toBe(0x02);
    expect(u.read(LSR, 1) & 0x02).toBe(0);
  });

  it('clears the receive FIFO on FCR.CLEAR_RCVR', () => {
    const { u } = make();
    u.write(FCR, 1, 0x01);
    u.receive(new Uint8Array([1, 2, 3]));
    u.write(FCR, 1, 0x03);
    expect(u.read(LSR, 1) & 1).toBe(0);
  });

  it('hands received bytes to the SBI console one at a time', () => {
    const { u } = make();
    u.receive(new Uint8Array([0x78]));
    expect(u.takeReceived()).toBe(0x78);
    expect(u.takeReceived()).toBe(-1);
  });
});

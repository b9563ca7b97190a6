// PLIC behaviour per the RISC-V PLIC spec v1.0.0: priorities, thresholds, claim/complete, gateways.
import { describe, expect, it } from 'vitest';
import { Plic, plicSize } from '../../../../src/emulator/devices/plic.js';

const PRIO = (src: number) => 4 * src;
const ENABLE = (ctx: number) => 0x2000 + 0x80 * ctx;
const THRESHOLD = (ctx: number) => 0x20_0000 + 0x1000 * ctx;
const CLAIM = (ctx: number) => 0x20_0000 + 0x1000 * ctx + 4;

function make(contexts = 2) {
  const lines = new Map<number, boolean>();
  const p = new Plic({ sources: 95, contexts, contextIrq: (c, l) => lines.set(c, l) });
  return { p, lines };
}

describe('Plic', () => {
  it('spans QEMU virt’s register file for 8 harts', () => {
    expect(plicSize(16)).toBeLessThanOrEqual(0x60_0000);
  });

  it('signals a context only for enabled sources with priority above the threshold', () => {
    const { p, lines } = make();
    const uart = p.line(10);
    uart(true);
    expect(lines.get(1) ?? false).toBe(false); // priority 0 never interrupts
    p.write(PRIO(10), 4, 1);
    expect(lines.get(1) ?? false).toBe(false); // not enabled
    p.write(ENABLE(1), 4, 1 << 10);
    expect(lines.get(1)).toBe(true);
    expect(lines.get(0) ?? false).toBe(false); // context 0 did not enable it
    p.write(THRESHOLD(1), 4, 1);
    expect(lines.get(1)).toBe(false);
    p.write(THRESHOLD(1), 4, 0);
    expect(lines.get(1)).toBe(true);
  });

  it('claims the highest-priority source (lowest id on ties) and shows pending bits', () => {
    const { p } = make();
    for (const s of [3, 5, 7]) {
      p.write(PRIO(s), 4, s === 5 ? 2 : 1);
      p.line(s)(true);
    }
    p.write(ENABLE(1), 4, (1 << 3) | (1 << 5) | (1 << 7));
    expect(p.read(0x1000, 4)).toBe((1 << 3) | (1 << 5) | (1 << 7));
    expect(p.read(CLAIM(1), 4)).toBe(5);
    expect(p.read(CLAIM(1), 4)).toBe(3);
    expect(p.read(CLAIM(1), 4)).toBe(7);
    expect(p.read(CLAIM(1), 4)).toBe(0);
  });

  it('does not forward a level source again until it is completed', () => {
    const { p, lines } = make();
    p.write(PRIO(10), 4, 1);
    p.write(ENABLE(1), 4, 1 << 10);
    p.line(10)(true);
    expect(p.read(CLAIM(1), 4)).toBe(10);
    expect(lines.get(1)).toBe(false);
    p.write(CLAIM(1), 4, 10); // complete with the line still high: pending again
    expect(lines.get(1)).toBe(true);
    expect(p.read(CLAIM(1), 4)).toBe(10);
    p.line(10)(false);
    p.write(CLAIM(1), 4, 10);
    expect(lines.get(1)).toBe(false);
    expect(p.read(CLAIM(1), 4)).toBe(0);
  });

  it('drops a pending request when the device lowers its line before the claim', () => {
    const { p, lines } = make();
    p.write(PRIO(1), 4, 1);
    p.write(ENABLE(1), 4, 1 << 1);
    p.line(1)(true);
    p.line(1)(false);
    expect(lines.get(1)).toBe(false);
    expect(p.read(CLAIM(1), 4)).toBe(0);
  });

  it('ignores a completion for a source the context has not enabled', () => {
    const { p } = make();
    p.write(PRIO(2), 4, 1);
    p.write(ENABLE(0), 4, 1 << 2);
    p.line(2)(true);
    expect(p.read(CLAIM(0), 4)).toBe(2);
    p.write(CLAIM(1), 4, 2); // wrong context
    expect(p.read(0x1000, 4) & (1 << 2)).toBe(0);
    p.write(CLAIM(0), 4, 2);
    expect(p.read(0x1000, 4) & (1 << 2)).toBe(1 << 2);
  });

  it('hardwires source 0 and priority bits beyond 3, and rejects lines that do not exist', () => {
    const { p } = make();
    p.write(ENABLE(0), 4, 0xffffffff);
    expect(p.read(ENABLE(0), 4)).toBe(0xfffffffe);
    p.write(PRIO(0), 4, 7);
    expect(p.read(PRIO(0), 4)).toBe(0);
    p.write(PRIO(1), 4, 0xff);
    expect(p.read(PRIO(1), 4)).toBe(7);
    expect(() => p.line(0)).toThrow(/no interrupt source 0/);
    expect(() => p.line(96)).toThrow(/no interrupt source 96/);
  });

  it('ignores garbage: narrow, misaligned and out-of-range accesses', () => {
    const { p, lines } = make();
    p.write(PRIO(1), 1, 7);
    p.write(PRIO(1) + 1, 4, 7);
    p.write(THRESHOLD(9), 4, 1);
    p.write(0x5f_fffc, 4, 0xffffffff);
    expect(p.read(PRIO(1), 4)).toBe(0);
    expect(p.read(CLAIM(9), 4)).toBe(0);
    expect([...lines.values()].every((l) => !l)).toBe(true);
  });
});

// Our generated device tree against dtc (it must decompile cleanly) and against the tree QEMU's
// `virt` machine dumps for the same RAM and hart count (same nodes, addresses, IRQs, compatibles).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { virtDeviceTree } from '../../src/emulator/machine/virt.js';

const has = (cmd: string) => {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const HAVE_DTC = has('dtc');
const HAVE_QEMU = has('qemu-system-riscv64');
const dir = mkdtempSync(join(tmpdir(), 'vm-dt-'));

function decompile(dtb: Uint8Array): { dts: string; warnings: string } {
  const f = join(dir, `t${Math.random().toString(36).slice(2)}.dtb`);
  writeFileSync(f, dtb);
  const r = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', f], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dtc failed: ${r.stderr}`);
  return { dts: r.stdout, warnings: r.stderr };
}

/** node path -> {prop -> value text} from dtc's dts output (phandle values normalized away). */
function parseDts(dts: string): Map<string, Map<string, string>> {
  const nodes = new Map<string, Map<string, string>>();
  const stack: string[] = [];
  for (const raw of dts.split('\n')) {
    const line = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^([^\s=]*) \{$/))) {
      stack.push(m[1] === '/' ? '' : m[1]!);
      nodes.set(stack.join('/') || '/', new Map());
    } else if (line === '};') {
      stack.pop();
    } else if (stack.length > 0 && (m = line.match(/^([^\s=]+)(?: = (.*))?;$/))) {
      nodes.get(stack.join('/') || '/')!.set(m[1]!, m[2] ?? '');
    }
  }
  return nodes;
}

describe.skipIf(!HAVE_DTC)('virt device tree', () => {
  const ours = virtDeviceTree({
    ramBytes: 256 * 1024 * 1024,
    harts: 2,
    cmdline: 'console=ttyS0 quiet',
    initrd: { start: 0x8820_0000, end: 0x8830_0000 },
    rngSeed: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
  });

  it('decompiles with dtc, warning only about what QEMU’s own tree also has, and says what the kernel needs', () => {
    const { dts, warnings } = decompile(ours);
    // dtc asks riscv,cpu-intc nodes for #address-cells; QEMU's tree (and Linux's binding) omit it.
    const other = warnings.split('\n').filter((l) => l !== '' && !/cpu@\d+\/interrupt-controller: Missing #address-cells in interrupt provider/.test(l));
    expect(other).toEqual([]);
    expect(dts).toContain('riscv,isa = "rv64imafdc_zicsr_zifencei";');
    expect(dts).toContain('mmu-type = "riscv,sv39";');
    expect(dts).toContain('timebase-frequency = <0x989680>;');
    expect(dts).toContain('bootargs = "console=ttyS0 quiet";');
    expect(dts).toContain('stdout-path = "/soc/serial@10000000";');
    expect(dts).toContain('linux,initrd-start = <0x00 0x88200000>;');
    expect(dts).toContain('linux,initrd-end = <0x00 0x88300000>;');
    expect(dts).toContain('rng-seed = <0x4030201 0x8070605>;');
    expect(dts).toContain('reg = <0x00 0x80000000 0x00 0x10000000>;');
    expect((dts.match(/compatible = "riscv,cpu-intc";/g) ?? []).length).toBe(2);
  });

  it.skipIf(!HAVE_QEMU)('matches the nodes QEMU virt has for the same devices', () => {
    const qf = join(dir, 'qemu.dtb');
    execFileSync('qemu-system-riscv64', ['-M', `virt,dumpdtb=${qf}`, '-m', '256', '-smp', '2', '-nographic'], { stdio: 'ignore' });
    const q = parseDts(decompile(readFileSync(qf)).dts);
    const o = parseDts(decompile(ours).dts);
    // Every node we emit exists in QEMU's tree.
    for (const path of o.keys()) expect(q.has(path), `QEMU has ${path}`).toBe(true);
    const compare = ['reg', 'interrupts', 'compatible', 'riscv,ndev', 'value', 'offset', 'device_type', 'timebase-frequency', '#interrupt-cells', '#address-cells', '#size-cells', 'status'];
    let compared = 0;
    for (const [path, props] of o) {
      const qp = q.get(path)!;
      for (const name of compare) {
        if (!props.has(name)) continue;
        expect(props.get(name), `${path} ${name}`).toBe(qp.get(name));
        compared++;
      }
      // interrupts-extended: same (controller, irq) pairs modulo phandle numbering.
      if (props.has('interrupts-extended')) {
        const irqs = (s: string) => s.replace(/[<>]/g, '').trim().split(/\s+/).filter((_, i) => i % 2 === 1);
        expect(irqs(props.get('interrupts-extended')!)).toEqual(irqs(qp.get('interrupts-extended')!));
      }
    }
    expect(compared).toBeGreaterThan(40);
    // Nodes QEMU has that we leave out are devices we do not emulate.
    const missing = [...q.keys()].filter((p) => !o.has(p)).sort();
    expect(missing).toEqual(['/flash@20000000', '/fw-cfg@10100000', '/platform-bus@4000000', '/pmu', '/soc/pci@30000000']);
  });
});

// The device tree of the `virt` machine, shaped like the one QEMU's hw/riscv/virt.c hands the guest,
// built from a plain description (addresses come from virt.ts). Bindings: Linux
// Documentation/devicetree/bindings/{riscv/cpus.yaml, interrupt-controller/sifive,plic-1.0.0.yaml,
// timer/sifive,clint.yaml, serial/8250.yaml, power/reset/syscon-poweroff.yaml, virtio/mmio.yaml}.

import { cells64, node, writeFdt, type FdtNode } from './fdt.js';

export interface DtRegion {
  base: number;
  size: number;
}

export interface VirtDtOptions {
  memory: DtRegion;
  harts: number;
  /** `riscv,isa` of every hart: only what the CPU implements. */
  isa: string;
  mmuType: string;
  timebaseFrequency: number;
  plic: DtRegion & { ndev: number };
  clint: DtRegion;
  uart: DtRegion & { irq: number; clockFrequency: number };
  test: DtRegion;
  rtc?: DtRegion & { irq: number };
  virtio: (DtRegion & { irq: number })[];
  bootargs: string;
  initrd?: { start: number; end: number };
  /** /chosen/rng-seed: random bytes the kernel mixes into its entropy pool and credits at once
   *  (Documentation/devicetree/bindings/chosen.txt), as QEMU's virt machine passes; whole cells. */
  rngSeed?: number[];
}

// Interrupt numbers on a hart's local controller (privileged spec, mip bits).
const IRQ_M_SOFT = 3;
const IRQ_M_TIMER = 7;
const IRQ_M_EXT = 11;
const IRQ_S_EXT = 9;

const hex = (n: number): string => n.toString(16);
const reg = (r: DtRegion): number[] => [...cells64(r.base), ...cells64(r.size)];

/** Build the DTB blob. */
export function buildVirtDtb(o: VirtDtOptions): Uint8Array {
  if (o.harts < 1) throw new Error('a machine needs at least one hart');
  let next = 1;
  const phandle = (): number => next++;
  const cpuPh: number[] = [];
  const intcPh: number[] = [];
  for (let i = 0; i < o.harts; i++) {
    cpuPh.push(phandle());
    intcPh.push(phandle());
  }
  const plicPh = phandle();
  const testPh = phandle();

  const cpus: FdtNode[] = [];
  for (let i = 0; i < o.harts; i++) {
    cpus.push(
      node(
        `cpu@${i}`,
        {
          phandle: [cpuPh[i]!],
          device_type: 'cpu',
          reg: [i],
          status: 'okay',
          compatible: 'riscv',
          'riscv,isa': o.isa,
          'mmu-type': o.mmuType,
        },
        [
          node('interrupt-controller', {
            '#interrupt-cells': [1],
            'interrupt-controller': null,
            compatible: 'riscv,cpu-intc',
            phandle: [intcPh[i]!],
          }),
        ],
      ),
    );
  }
  const cores = cpuPh.map((ph, i) => node(`core${i}`, { cpu: [ph] }));
  cpus.push(node('cpu-map', {}, [node('cluster0', {}, cores)]));

  // Contexts per hart in QEMU's order: M external then S external (context 2h = M, 2h+1 = S).
  const plicContexts = intcPh.flatMap((ph) => [ph, IRQ_M_EXT, ph, IRQ_S_EXT]);
  const clintIrqs = intcPh.flatMap((ph) => [ph, IRQ_M_SOFT, ph, IRQ_M_TIMER]);

  const soc: FdtNode[] = [];
  if (o.rtc) {
    soc.push(
      node(`rtc@${hex(o.rtc.base)}`, {
        interrupts: [o.rtc.irq],
        'interrupt-parent': [plicPh],
        reg: reg(o.rtc),
        compatible: 'google,goldfish-rtc',
      }),
    );
  }
  const serialName = `serial@${hex(o.uart.base)}`;
  soc.push(
    node(serialName, {
      interrupts: [o.uart.irq],
      'interrupt-parent': [plicPh],
      'clock-frequency': [o.uart.clockFrequency],
      reg: reg(o.uart),
      compatible: 'ns16550a',
    }),
  );
  soc.push(
    node(`test@${hex(o.test.base)}`, {
      phandle: [testPh],
      reg: reg(o.test),
      compatible: ['sifive,test1', 'sifive,test0', 'syscon'],
    }),
  );
  // QEMU lists the slots from the highest address down; Linux probes them in tree order.
  for (const v of [...o.virtio].sort((a, b) => b.base - a.base)) {
    soc.push(
      node(`virtio_mmio@${hex(v.base)}`, {
        interrupts: [v.irq],
        'interrupt-parent': [plicPh],
        reg: reg(v),
        compatible: 'virtio,mmio',
      }),
    );
  }
  soc.push(
    node(`plic@${hex(o.plic.base)}`, {
      phandle: [plicPh],
      'riscv,ndev': [o.plic.ndev],
      reg: reg(o.plic),
      'interrupts-extended': plicContexts,
      'interrupt-controller': null,
      compatible: ['sifive,plic-1.0.0', 'riscv,plic0'],
      '#address-cells': [0],
      '#interrupt-cells': [1],
    }),
  );
  soc.push(
    node(`clint@${hex(o.clint.base)}`, {
      'interrupts-extended': clintIrqs,
      reg: reg(o.clint),
      compatible: ['sifive,clint0', 'riscv,clint0'],
    }),
  );

  const chosenProps: Record<string, string | number[]> = {
    bootargs: o.bootargs,
    'stdout-path': `/soc/${serialName}`,
  };
  if (o.initrd) {
    chosenProps['linux,initrd-start'] = cells64(o.initrd.start);
    chosenProps['linux,initrd-end'] = cells64(o.initrd.end);
  }
  if (o.rngSeed) chosenProps['rng-seed'] = o.rngSeed;

  const root = node(
    '',
    {
      '#address-cells': [2],
      '#size-cells': [2],
      compatible: 'riscv-virtio',
      model: 'riscv-virtio,vm',
    },
    [
      node('chosen', chosenProps),
      node('poweroff', { value: [0x5555], offset: [0], regmap: [testPh], compatible: 'syscon-poweroff' }),
      node('reboot', { value: [0x7777], offset: [0], regmap: [testPh], compatible: 'syscon-reboot' }),
      node(`memory@${hex(o.memory.base)}`, { device_type: 'memory', reg: reg(o.memory) }),
      node('cpus', { '#address-cells': [1], '#size-cells': [0], 'timebase-frequency': [o.timebaseFrequency] }, cpus),
      node('soc', { '#address-cells': [2], '#size-cells': [2], compatible: 'simple-bus', ranges: null }, soc),
    ],
  );
  return writeFdt(root);
}

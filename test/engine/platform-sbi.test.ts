// The host SBI driven by a real S-mode guest on the real hart: base (version, probe), an unknown
// extension, DBCN console_write, IPI to self, TIME with WFI (and the idle-warp policies), HSM
// (get_status, hart_start with opaque, double start, hart_stop, retentive suspend), legacy putchar,
// SRST shutdown.
// Expected values come from the SBI v1.0 spec. A failing check prints F + a letter and shuts down
// with reason "system failure".
import { describe, expect, it } from 'vitest';
import { Hart } from '../../src/emulator/cpu/hart.js';
import type { WarpPolicy } from '../../src/emulator/machine/scheduler.js';
import { VirtMachine } from '../../src/emulator/machine/virt.js';

// Source (riscv64-linux-gnu-as -march=rv64imac_zicsr; ld -Ttext=0x80200000; objcopy -O binary):
// 	# S-mode SBI client, loaded as a raw kernel at 0x80200000 (a0 = hartid, a1 = DTB).
// 	.option norvc
// 	.equ EXT_BASE, 0x10
// 	.equ EXT_TIME, 0x54494D45
// 	.equ EXT_IPI, 0x735049
// 	.equ EXT_HSM, 0x48534D
// 	.equ EXT_SRST, 0x53525354
// 	.equ EXT_DBCN, 0x4442434E
// 	.macro SBI ext, fid
// 	li	a7, \ext
// 	li	a6, \fid
// 	ecall
// 	.endm
// 	.macro CHECK reg, val, code
// 	li	t6, \val
// 	li	s11, \code
// 	bne	\reg, t6, fail
// 	.endm
// 	.globl _start
// _start:
// 	bnez	a0, secondary
// 	SBI	EXT_BASE, 0			# spec version 1.0
// 	CHECK	a0, 0, 1
// 	CHECK	a1, 0x1000000, 2
// 	li	a0, EXT_HSM
// 	SBI	EXT_BASE, 3			# probe HSM: present
// 	CHECK	a1, 1, 3
// 	li	a0, 0x0A000000
// 	SBI	EXT_BASE, 3			# probe a vendor extension: absent
// 	CHECK	a1, 0, 4
// 	SBI	0x0A000000, 0			# calling it: not supported
// 	CHECK	a0, -2, 5
// 	la	a1, hello			# DBCN console_write
// 	li	a0, 6
// 	li	a2, 0
// 	SBI	EXT_DBCN, 0
// 	CHECK	a0, 0, 6
// 	CHECK	a1, 6, 7
// 	li	t0, 2				# IPI to self -> sip.SSIP
// 	csrs	sie, t0
// 	li	a0, 1
// 	li	a1, 0
// 	SBI	EXT_IPI, 0
// 	CHECK	a0, 0, 8
// 	csrr	t1, sip
// 	andi	t1, t1, 2
// 	CHECK	t1, 2, 9
// 	csrc	sip, t0				# the kernel clears SSIP itself
// 	csrr	t1, sip
// 	andi	t1, t1, 2
// 	CHECK	t1, 0, 10
// 	csrr	s0, time			# timer 0.5 s ahead, wait for it in WFI
// 	li	t0, 5000000
// 	add	a0, s0, t0
// 	SBI	EXT_TIME, 0
// 	li	t0, 0x20
// 	csrs	sie, t0
// 1:	wfi
// 	csrr	t1, sip
// 	andi	t1, t1, 0x20
// 	beqz	t1, 1b
// 	csrr	t2, time
// 	sub	t2, t2, s0
// 	li	t0, 5000000
// 	li	s11, 11
// 	bltu	t2, t0, fail			# not before its time
// 	li	a0, -1				# disarm: STIP drops
// 	SBI	EXT_TIME, 0
// 	csrr	t1, sip
// 	andi	t1, t1, 0x20
// 	CHECK	t1, 0, 12
// 	csrr	s0, time			# retentive suspend until a timer 0.1 s ahead
// 	li	t0, 1000000
// 	add	a0, s0, t0
// 	SBI	EXT_TIME, 0
// 	li	a0, 0
// 	SBI	EXT_HSM, 3
// 	CHECK	a0, 0, 16
// 	csrr	t2, time
// 	sub	t2, t2, s0
// 	li	t0, 1000000
// 	li	s11, 17
// 	bltu	t2, t0, fail			# resumed only once the timer fired
// 	li	a0, 0x80000000			# non-retentive: not offered
// 	SBI	EXT_HSM, 3
// 	CHECK	a0, -2, 18
// 	li	a0, -1
// 	SBI	EXT_TIME, 0
// 	li	a0, 1				# hart 1 is stopped until started
// 	SBI	EXT_HSM, 2
// 	CHECK	a1, 1, 13
// 	li	a0, 1
// 	la	a1, secondary
// 	li	a2, 0x1234
// 	SBI	EXT_HSM, 0
// 	CHECK	a0, 0, 14
// 	li	a0, 1				# starting it twice: already available
// 	la	a1, secondary
// 	SBI	EXT_HSM, 0
// 	CHECK	a0, -6, 15
// 	la	t0, flag
// 2:	lw	t1, 0(t0)			# hart 1 sets the flag, then stops itself
// 	beqz	t1, 2b
// 3:	li	a0, 1
// 	SBI	EXT_HSM, 2
// 	li	t1, 1
// 	bne	a1, t1, 3b
// 	li	a0, 'O'				# legacy console_putchar
// 	SBI	1, 0
// 	li	a0, 'K'
// 	SBI	1, 0
// 	li	a0, '\n'
// 	SBI	1, 0
// 	li	a0, 0				# shutdown, no reason
// 	li	a1, 0
// 	SBI	EXT_SRST, 0
// 	li	s11, 99
// fail:
// 	li	a0, 'F'
// 	SBI	1, 0
// 	addi	a0, s11, 'A'			# which check failed, as a letter
// 	SBI	1, 0
// 	li	a0, 0
// 	li	a1, 1				# system failure
// 	SBI	EXT_SRST, 0
// 4:	j	4b
// secondary:
// 	li	t6, 0x1234
// 	bne	a1, t6, 5f
// 	la	a0, hart1
// 	li	s11, 0
// 6:	lbu	t1, 0(a0)
// 	beqz	t1, 7f
// 	mv	s10, a0
// 	mv	a0, t1
// 	SBI	1, 0
// 	addi	a0, s10, 1
// 	j	6b
// 7:	la	t0, flag
// 	li	t1, 1
// 	amoswap.w	zero, t1, (t0)
// 	SBI	EXT_HSM, 1			# hart_stop: does not return
// 5:	j	5b
// hello:	.ascii "hello\n"
// hart1:	.asciz "hart1 up\n"
// 	.align 3
// flag:	.word 0
const SBI_CLIENT = [
  0x34051063, 0x01000893, 0x00000813, 0x00000073, 0x00000f93, 0x00100d93, 0x2ff51663, 0x01000fb7,
  0x00200d93, 0x2ff59063, 0x00485537, 0x34d5051b, 0x01000893, 0x00300813, 0x00000073, 0x00100f93,
  0x00300d93, 0x2df59063, 0x0a000537, 0x01000893, 0x00300813, 0x00000073, 0x00000f93, 0x00400d93,
  0x2bf59263, 0x0a0008b7, 0x00000813, 0x00000073, 0xffe00f93, 0x00500d93, 0x29f51663, 0x00000597,
  0x32458593, 0x00600513, 0x00000613, 0x444248b7, 0x34e8889b, 0x00000813, 0x00000073, 0x00000f93,
  0x00600d93, 0x27f51063, 0x00600f93, 0x00700d93, 0x25f59a63, 0x00200293, 0x1042a073, 0x00100513,
  0x00000593, 0x007358b7, 0x0498889b, 0x00000813, 0x00000073, 0x00000f93, 0x00800d93, 0x23f51463,
  0x14402373, 0x00237313, 0x00200f93, 0x00900d93, 0x21f31a63, 0x1442b073, 0x14402373, 0x00237313,
  0x00000f93, 0x00a00d93, 0x1ff31e63, 0xc0102473, 0x004c52b7, 0xb402829b, 0x00540533, 0x544958b7,
  0xd458889b, 0x00000813, 0x00000073, 0x02000293, 0x1042a073, 0x10500073, 0x14402373, 0x02037313,
  0xfe030ae3, 0xc01023f3, 0x408383b3, 0x004c52b7, 0xb402829b, 0x00b00d93, 0x1a53e663, 0xfff00513,
  0x544958b7, 0xd458889b, 0x00000813, 0x00000073, 0x14402373, 0x02037313, 0x00000f93, 0x00c00d93,
  0x19f31263, 0xc0102473, 0x000f42b7, 0x2402829b, 0x00540533, 0x544958b7, 0xd458889b, 0x00000813,
  0x00000073, 0x00000513, 0x004858b7, 0x34d8889b, 0x00300813, 0x00000073, 0x00000f93, 0x01000d93,
  0x15f51263, 0xc01023f3, 0x408383b3, 0x000f42b7, 0x2402829b, 0x01100d93, 0x1253e663, 0x0010051b,
  0x01f51513, 0x004858b7, 0x34d8889b, 0x00300813, 0x00000073, 0xffe00f93, 0x01200d93, 0x11f51463,
  0xfff00513, 0x544958b7, 0xd458889b, 0x00000813, 0x00000073, 0x00100513, 0x004858b7, 0x34d8889b,
  0x00200813, 0x00000073, 0x00100f93, 0x00d00d93, 0x0df59a63, 0x00100513, 0x00000597, 0x10858593,
  0x00001637, 0x2346061b, 0x004858b7, 0x34d8889b, 0x00000813, 0x00000073, 0x00000f93, 0x00e00d93,
  0x0bf51263, 0x00100513, 0x00000597, 0x0d858593, 0x004858b7, 0x34d8889b, 0x00000813, 0x00000073,
  0xffa00f93, 0x00f00d93, 0x07f51e63, 0x00000297, 0x12428293, 0x0002a303, 0xfe030ee3, 0x00100513,
  0x004858b7, 0x34d8889b, 0x00200813, 0x00000073, 0x00100313, 0xfe6594e3, 0x04f00513, 0x00100893,
  0x00000813, 0x00000073, 0x04b00513, 0x00100893, 0x00000813, 0x00000073, 0x00a00513, 0x00100893,
  0x00000813, 0x00000073, 0x00000513, 0x00000593, 0x535258b7, 0x3548889b, 0x00000813, 0x00000073,
  0x06300d93, 0x04600513, 0x00100893, 0x00000813, 0x00000073, 0x041d8513, 0x00100893, 0x00000813,
  0x00000073, 0x00000513, 0x00100593, 0x535258b7, 0x3548889b, 0x00000813, 0x00000073, 0x0000006f,
  0x00001fb7, 0x234f8f9b, 0x05f59a63, 0x00000517, 0x05a50513, 0x00000d93, 0x00054303, 0x02030063,
  0x00050d13, 0x00030513, 0x00100893, 0x00000813, 0x00000073, 0x001d0513, 0xfe1ff06f, 0x00000297,
  0x03428293, 0x00100313, 0x0862a02f, 0x004858b7, 0x34d8889b, 0x00100813, 0x00000073, 0x0000006f,
  0x6c6c6568, 0x61680a6f, 0x20317472, 0x000a7075, 0x00000000,
];

function image(words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w, true));
  return out;
}

async function run(idleWarp: WarpPolicy, ready = false) {
  let text = '';
  const logs: string[] = [];
  const m = new VirtMachine({
    ramBytes: 32 * 1024 * 1024,
    harts: 2,
    kernel: image(SBI_CLIENT),
    cmdline: '',
    idleWarp,
    createHart: (id, host) => new Hart(id, host),
    onConsoleOutput: (c) => (text += new TextDecoder().decode(c)),
    onLog: (l) => logs.push(l),
  });
  if (ready) m.markReady();
  const t0 = performance.now();
  m.start();
  const stop = setTimeout(() => m.stop(), 20_000);
  const exit = await m.exited;
  clearTimeout(stop);
  return { exit, text, logs, ms: performance.now() - t0, warped: m.clock.warpedTicks / m.clock.frequency };
}

describe('host SBI', () => {
  it('answers base, DBCN, IPI, TIME, HSM, legacy and SRST calls as the spec says', async () => {
    const r = await run('always');
    expect(r.text).toBe('hello\nhart1 up\nOK\n');
    expect(r.exit).toEqual({ kind: 'poweroff', status: 0 });
    expect(r.logs).toEqual([]);
  });

  it('warps guest time over the 0.5 s timer wait and the 0.1 s suspend when the policy allows it', async () => {
    const r = await run('always');
    expect(r.warped).toBeGreaterThan(0.55);
    expect(r.ms).toBeLessThan(400);
  });

  it('waits in real time with warp "never", and with "until-ready" once the guest is ready', async () => {
    for (const r of [await run('never'), await run('until-ready', true)]) {
      expect(r.text).toContain('OK');
      expect(r.warped).toBe(0);
      expect(r.ms).toBeGreaterThanOrEqual(590);
    }
    const early = await run('until-ready');
    expect(early.warped).toBeGreaterThan(0.55);
  });
});

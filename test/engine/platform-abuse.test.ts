// A hostile bare-metal guest (M-mode, in place of firmware) against the whole `virt` machine: it
// writes garbage to every device and to the ROM, loads/stores/jumps to unmapped memory, floods the
// UART with 1 MiB, then spins in an endless fetch-fault loop. The host must stay up and responsive,
// report what happened (rate-limited), keep console memory bounded, and stop the machine on request.
// The same image behaves the same on `qemu-system-riscv64 -M virt -bios abuse.bin`.
import { describe, expect, it } from 'vitest';
import { Hart } from '../../src/emulator/cpu/hart.js';
import { VirtMachine } from '../../src/emulator/machine/virt.js';

// Source (riscv64-linux-gnu-as -march=rv64imac_zicsr; ld -Ttext=0x80000000; objcopy -O binary):
// 	.option norvc
// 	.globl _start
// _start:
// 	la	t0, handler
// 	csrw	mtvec, t0
// 	li	s2, 0			# traps taken
// 	li	s3, 0x10000000		# uart
// 	# garbage to every device: PLIC, CLINT, virtio slots, RTC, syscon (non-exit values), ROM
// 	li	t1, 0xdeadbeef
// 	li	t0, 0x0c000000
// 	sw	t1, 0(t0)
// 	li	t2, 0x0c002000
// 	sw	t1, 0(t2)
// 	li	t2, 0x0c200004
// 	sw	t1, 0(t2)
// 	lw	t3, 0(t2)
// 	sb	t1, 3(t0)
// 	li	t0, 0x02000000
// 	sw	t1, 0x10(t0)		# msip past the last hart
// 	li	t2, 0x02004000
// 	sh	t1, 0(t2)
// 	li	t0, 0x10001000
// 	sw	t1, 0x70(t0)
// 	sd	t1, 0x50(t0)
// 	li	t0, 0x00101000
// 	sw	t1, 0x14(t0)
// 	li	t0, 0x00100000
// 	sw	t1, 0(t0)		# 0xbeef is no finisher code
// 	sw	t1, 8(t0)
// 	li	t0, 0x1000
// 	lw	t4, 0(t0)
// 	sw	t1, 0(t0)		# ROM write: ignored, reported
// 	lw	t3, 0(t0)
// 	bne	t3, t4, fail		# the ROM did not change
// 	sb	t1, 7(s3)		# uart scratch
// 	sb	t1, 3(s3)		# garbage LCR
// 	li	t1, 3
// 	sb	t1, 3(s3)		# back to 8N1, DLAB off
// 	# unmapped load and store: access faults, skipped by the handler
// 	li	t0, 0x00800000
// 	lw	t3, 0(t0)
// 	sd	t3, 8(t0)
// 	# jump into unmapped memory: fetch access fault, handler resumes at 1f
// 	la	s1, 1f
// 	li	t0, 0x00900000
// 	jr	t0
// 1:	li	t4, 3
// 	bltu	s2, t4, fail	# QEMU also faults odd-sized device accesses: at least 3
// 	la	a0, okmsg
// 	call	puts
// 	# flood the uart with 1 MiB
// 	li	t0, 0x100000
// 	li	t1, 'A'
// 2:	sb	t1, 0(s3)
// 	addi	t0, t0, -1
// 	bnez	t0, 2b
// 	la	a0, donemsg
// 	call	puts
// 	# an endless fault loop: trap vector in unmapped memory
// 	li	t0, 0x00a00000
// 	csrw	mtvec, t0
// 	jr	t0
// fail:
// 	la	a0, failmsg
// 	call	puts
// 	li	t0, 0x00100000
// 	li	t1, 0x00013333
// 	sw	t1, 0(t0)
// 3:	j	3b
// puts:
// 	lbu	t1, 0(a0)
// 	beqz	t1, 4f
// 	sb	t1, 0(s3)
// 	addi	a0, a0, 1
// 	j	puts
// 4:	ret
// 	.align 2
// handler:
// 	csrr	t5, mcause
// 	li	t6, 1
// 	beq	t5, t6, 5f
// 	csrr	t5, mepc
// 	addi	t5, t5, 4
// 	csrw	mepc, t5
// 	addi	s2, s2, 1
// 	mret
// 5:	csrw	mepc, s1
// 	addi	s2, s2, 1
// 	mret
// okmsg:	.asciz "abuse: traps ok\n"
// donemsg: .asciz "\nabuse: flood done\n"
// failmsg: .asciz "abuse: FAIL\n"
const ABUSE_WORDS = [
  0x00000297, 0x13028293, 0x30529073, 0x00000913, 0x100009b7, 0x00038337, 0xab73031b, 0x00e31313,
  0xeef30313, 0x0c0002b7, 0x0062a023, 0x0c0023b7, 0x0063a023, 0x0c2003b7, 0x0043839b, 0x0063a023,
  0x0003ae03, 0x006281a3, 0x020002b7, 0x0062a823, 0x020043b7, 0x00639023, 0x100012b7, 0x0662a823,
  0x0462b823, 0x001012b7, 0x0062aa23, 0x001002b7, 0x0062a023, 0x0062a423, 0x000012b7, 0x0002ae83,
  0x0062a023, 0x0002ae03, 0x07de1863, 0x006983a3, 0x006981a3, 0x00300313, 0x006981a3, 0x008002b7,
  0x0002ae03, 0x01c2b423, 0x00000497, 0x01048493, 0x009002b7, 0x00028067, 0x00300e93, 0x03d96e63,
  0x00000517, 0x09c50513, 0x050000ef, 0x001002b7, 0x04100313, 0x00698023, 0xfff28293, 0xfe029ce3,
  0x00000517, 0x08d50513, 0x030000ef, 0x00a002b7, 0x30529073, 0x00028067, 0x00000517, 0x08950513,
  0x018000ef, 0x001002b7, 0x00013337, 0x3333031b, 0x0062a023, 0x0000006f, 0x00054303, 0x00030863,
  0x00698023, 0x00150513, 0xff1ff06f, 0x00008067, 0x34202f73, 0x00100f93, 0x01ff0c63, 0x34102f73,
  0x004f0f13, 0x341f1073, 0x00190913, 0x30200073, 0x34149073, 0x00190913, 0x30200073, 0x73756261,
  0x74203a65, 0x73706172, 0x0a6b6f20, 0x62610a00, 0x3a657375, 0x6f6c6620, 0x6420646f, 0x0a656e6f,
  0x75626100, 0x203a6573, 0x4c494146, 0x0000000a,
];

function image(words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w, true));
  return out;
}

describe('a hostile guest', () => {
  it('cannot crash, hang or flood the host', async () => {
    const logs: string[] = [];
    let consoleBytes = 0;
    let text = '';
    let maxChunk = 0;
    const m = new VirtMachine({
      ramBytes: 64 * 1024 * 1024,
      harts: 1,
      firmware: image(ABUSE_WORDS),
      cmdline: '',
      idleWarp: 'always',
      createHart: (id, host) => new Hart(id, host),
      onLog: (msg) => logs.push(msg),
      onConsoleOutput: (chunk) => {
        consoleBytes += chunk.length;
        maxChunk = Math.max(maxChunk, chunk.length);
        const s = new TextDecoder().decode(chunk);
        if (s.includes('abuse:')) text += s.replace(/A+/g, '');
      },
    });
    m.start();
    // The event loop keeps turning while the guest misbehaves: the machine runs in bursts and
    // yields between them, so timers keep firing (how late they fire depends on the host's load,
    // which a test cannot assert; it counts turns).
    const lags: number[] = [];
    const deadline = Date.now() + 60_000;
    while (!text.includes('flood done') && Date.now() < deadline && m.exitEvent === null) {
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, 20));
      lags.push(performance.now() - t0 - 20);
    }
    expect(text).toContain('abuse: traps ok');
    expect(text).toContain('abuse: flood done');
    expect(text).not.toContain('FAIL');
    expect(consoleBytes).toBeGreaterThanOrEqual(1024 * 1024);
    expect(maxChunk).toBeLessThanOrEqual(16 * 1024);
    // Now it spins in an endless fault loop; the host still answers.
    await new Promise((r) => setTimeout(r, 300));
    expect(m.exitEvent).toBeNull();
    m.stop();
    expect(await m.exited).toEqual({ kind: 'stopped', status: 0 });
    expect(lags.length).toBeGreaterThanOrEqual(2);
    const all = logs.join('\n');
    expect(all).toContain('guest read of 4 bytes at unmapped physical address 0x800000');
    expect(all).toContain('guest wrote 4 bytes to ROM at 0x1000');
    expect(all).toMatch(/unmapped physical address 0xa00000/);
    // The endless loop is reported a bounded number of times, not once per fault.
    expect(logs.length).toBeLessThan(50);
  });
});

/*
 * A hostile bare-metal guest for disk-abuse.test.ts: runs in M-mode in place of firmware on the
 * builtin engine's `virt` machine with virtio-blk (root overlay) in slot 7, virtio-console in slot 6
 * and virtio-rng in slot 5, and attacks them the way a malicious kernel could: queue sizes that are
 * not powers of two, descriptor loops, buffers outside RAM, giant lengths, the same head twice in
 * flight, queue registers rewritten after DRIVER_OK, a sector near 2^64. After each attack the device
 * must say DEVICE_NEEDS_RESET (or answer IOERR), and after a reset it must work again: a sector
 * written, flushed and read back on the disk, random bytes from the rng.
 * Prints "virtio-abuse: ok" and powers off (syscon 0x5555), or prints why and fails (0x3333).
 * Build: riscv64-linux-gnu-gcc -march=rv64imac_zicsr -mabi=lp64 -O2 -ffreestanding -nostdlib
 *        -nostartfiles -static -fno-pie -no-pie -Wl,-Ttext=0x80000000 -Wl,--build-id=none
 *        -fno-tree-loop-distribute-patterns, then objcopy -O binary (disk-abuse.test.ts does it).
 */
#include <stdint.h>

#define UART ((volatile uint8_t *)0x10000000UL)
#define SYSCON ((volatile uint32_t *)0x100000UL)
#define SLOT(n) (0x10001000UL + (uintptr_t)(n) * 0x1000UL)
#define BLK SLOT(7)
#define CONS SLOT(6)
#define RNG SLOT(5)

/* virtio-mmio v2 registers */
#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DRV_FEAT 0x020
#define R_DRV_FEAT_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_NOTIFY 0x050
#define R_INT_STATUS 0x060
#define R_INT_ACK 0x064
#define R_STATUS 0x070
#define R_DESC_LO 0x080
#define R_DESC_HI 0x084
#define R_AVAIL_LO 0x090
#define R_AVAIL_HI 0x094
#define R_USED_LO 0x0a0
#define R_USED_HI 0x0a4
#define S_NEEDS_RESET 0x40

#define F_NEXT 1
#define F_WRITE 2
#define QN 8

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
struct avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[QN];
};
struct used {
	uint16_t flags;
	uint16_t idx;
	struct {
		uint32_t id, len;
	} ring[QN];
};

static volatile struct desc *const D = (void *)0x80200000UL;
static volatile struct avail *const A = (void *)0x80201000UL;
static volatile struct used *const U = (void *)0x80202000UL;
static volatile uint8_t *const BUF = (void *)0x80203000UL; /* 16 KiB of request buffers */

static void w32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static uint32_t r32(uintptr_t a) { return *(volatile uint32_t *)a; }
static uint64_t now(void) {
	uint64_t t;
	__asm__ volatile("csrr %0, time" : "=r"(t));
	return t;
}

static void puts(const char *s) {
	while (*s) {
		while (!(UART[5] & 0x20))
			;
		UART[0] = (uint8_t)*s++;
	}
}

static void fail(const char *why) {
	puts("virtio-abuse: FAIL ");
	puts(why);
	puts("\n");
	*SYSCON = 0x3333 | (1u << 16);
	for (;;)
		;
}

static void zero(volatile uint8_t *p, unsigned n) {
	for (unsigned i = 0; i < n; i++)
		p[i] = 0;
}

/* Reset, negotiate VERSION_1 only, lay out queue `q` with `num` entries; DRIVER_OK if `ok`. */
static void setup(uintptr_t dev, unsigned q, uint32_t num, int ok) {
	zero((volatile uint8_t *)D, 0x3000);
	w32(dev + R_STATUS, 0);
	if (r32(dev + R_STATUS) != 0)
		fail("status not 0 after reset");
	w32(dev + R_STATUS, 1);
	w32(dev + R_STATUS, 3);
	w32(dev + R_DRV_FEAT_SEL, 1);
	w32(dev + R_DRV_FEAT, 1); /* VIRTIO_F_VERSION_1 */
	w32(dev + R_DRV_FEAT_SEL, 0);
	w32(dev + R_DRV_FEAT, 0);
	w32(dev + R_STATUS, 0xb);
	if (!(r32(dev + R_STATUS) & 8))
		fail("FEATURES_OK refused");
	w32(dev + R_QUEUE_SEL, q);
	w32(dev + R_QUEUE_NUM, num);
	w32(dev + R_DESC_LO, (uint32_t)(uintptr_t)D);
	w32(dev + R_DESC_HI, 0);
	w32(dev + R_AVAIL_LO, (uint32_t)(uintptr_t)A);
	w32(dev + R_AVAIL_HI, 0);
	w32(dev + R_USED_LO, (uint32_t)(uintptr_t)U);
	w32(dev + R_USED_HI, 0);
	w32(dev + R_QUEUE_READY, 1);
	if (ok)
		w32(dev + R_STATUS, 0xf);
}

static void publish(uint16_t head) {
	A->ring[A->idx % QN] = head;
	__sync_synchronize();
	A->idx = A->idx + 1;
}

static void expect_broken(uintptr_t dev, const char *what) {
	if (!(r32(dev + R_STATUS) & S_NEEDS_RESET))
		fail(what);
	w32(dev + R_INT_ACK, r32(dev + R_INT_STATUS));
}

/* Wait (spinning: the host's event loop must still get its turns) for `n` used entries. */
static void wait_used(uint16_t n, const char *what) {
	uint64_t end = now() + 100000000ULL; /* 10 s at the 10 MHz timebase */
	while (U->idx != n)
		if (now() > end)
			fail(what);
}

/* One virtio-blk request on queue 0: header, optional data, status. Returns the status byte. */
static uint8_t blk_request(uint32_t type, uint64_t sector, int data_dir, uint16_t expect_used) {
	volatile uint32_t *hdr = (volatile uint32_t *)BUF;
	hdr[0] = type;
	hdr[1] = 0;
	*(volatile uint64_t *)(BUF + 8) = sector;
	BUF[0x1000] = 0xee;
	int i = A->idx % 2 * 3; /* three descriptors per request, two slots */
	D[i] = (struct desc){(uintptr_t)BUF, 16, F_NEXT, (uint16_t)(i + 1)};
	if (data_dir) {
		D[i + 1] = (struct desc){(uintptr_t)BUF + 0x2000, 512, (uint16_t)(F_NEXT | (data_dir > 0 ? F_WRITE : 0)), (uint16_t)(i + 2)};
		D[i + 2] = (struct desc){(uintptr_t)BUF + 0x1000, 1, F_WRITE, 0};
	} else {
		D[i + 1] = (struct desc){(uintptr_t)BUF + 0x1000, 1, F_WRITE, 0};
	}
	publish((uint16_t)i);
	w32(BLK + R_NOTIFY, 0);
	wait_used(expect_used, "blk request not completed in 10 s");
	return BUF[0x1000];
}

void main(void) {
	if (r32(BLK + R_MAGIC) != 0x74726976 || r32(BLK + R_VERSION) != 2 || r32(BLK + R_DEVICE_ID) != 2)
		fail("no virtio-blk v2 in slot 7");
	if (r32(CONS + R_DEVICE_ID) != 3 || r32(RNG + R_DEVICE_ID) != 4)
		fail("console/rng not in slots 6/5");

	/* 1. queue size 6: not a power of two */
	setup(BLK, 0, 6, 0);
	expect_broken(BLK, "queue size 6 accepted");
	/* 2. queue size above QueueNumMax */
	setup(BLK, 0, r32(BLK + R_QUEUE_NUM_MAX) * 2, 0);
	expect_broken(BLK, "queue size above the maximum accepted");
	/* 3. a descriptor loop */
	setup(BLK, 0, QN, 1);
	D[0] = (struct desc){(uintptr_t)BUF, 16, F_NEXT, 1};
	D[1] = (struct desc){(uintptr_t)BUF, 16, F_NEXT, 0};
	publish(0);
	w32(BLK + R_NOTIFY, 0);
	expect_broken(BLK, "descriptor loop accepted");
	/* 4. a buffer outside RAM */
	setup(BLK, 0, QN, 1);
	D[0] = (struct desc){0x1000, 512, F_WRITE, 0};
	publish(0);
	w32(BLK + R_NOTIFY, 0);
	expect_broken(BLK, "buffer outside RAM accepted");
	/* 5. a giant length, and a 64-bit address */
	setup(BLK, 0, QN, 1);
	D[0] = (struct desc){(uintptr_t)BUF, 0xffffffffu, F_WRITE, 0};
	publish(0);
	w32(BLK + R_NOTIFY, 0);
	expect_broken(BLK, "giant length accepted");
	setup(BLK, 0, QN, 1);
	D[0] = (struct desc){0xffffffff80000000ULL, 16, 0, 0};
	publish(0);
	w32(BLK + R_NOTIFY, 0);
	expect_broken(BLK, "high address accepted");
	/* 6. the same head twice, the first still in flight */
	setup(BLK, 0, QN, 1);
	*(volatile uint32_t *)BUF = 0; /* T_IN */
	D[0] = (struct desc){(uintptr_t)BUF, 16, F_NEXT, 1};
	D[1] = (struct desc){(uintptr_t)BUF + 0x2000, 513, F_WRITE, 0};
	publish(0);
	publish(0);
	w32(BLK + R_NOTIFY, 0);
	expect_broken(BLK, "the same head twice in flight accepted");
	/* 7. the available index far ahead */
	setup(BLK, 0, QN, 1);
	A->idx = 1000;
	w32(BLK + R_NOTIFY, 0);
	expect_broken(BLK, "available index 1000 ahead accepted");

	/* After all that, a reset gives a working disk; queue registers rewritten after DRIVER_OK are ignored. */
	setup(BLK, 0, QN, 1);
	w32(BLK + R_QUEUE_NUM, 3);
	w32(BLK + R_DESC_LO, 0x10);
	w32(BLK + R_QUEUE_READY, 0);
	if (r32(BLK + R_STATUS) & S_NEEDS_RESET)
		fail("queue registers after DRIVER_OK broke the device");
	if (blk_request(0, 0xffffffffffffff00ULL, -1, 1) != 1)
		fail("a sector near 2^64 did not answer IOERR");
	for (int i = 0; i < 512; i++)
		BUF[0x2000 + i] = (uint8_t)(i * 13 + 7);
	if (blk_request(1, 100, -1, 2) != 0)
		fail("write of sector 100 failed");
	if (blk_request(4, 0, 0, 3) != 0)
		fail("flush failed");
	for (int i = 0; i < 512; i++)
		BUF[0x2000 + i] = 0;
	if (blk_request(0, 100, 1, 4) != 0)
		fail("read of sector 100 failed");
	for (int i = 0; i < 512; i++)
		if (BUF[0x2000 + i] != (uint8_t)(i * 13 + 7))
			fail("sector 100 read back differently");

	/* The console and the rng: a loop on the console's transmit queue, a giant buffer for the rng. */
	setup(CONS, 1, QN, 1);
	D[0] = (struct desc){(uintptr_t)BUF, 8, F_NEXT, 0};
	publish(0);
	w32(CONS + R_NOTIFY, 1);
	expect_broken(CONS, "console: descriptor loop accepted");
	setup(RNG, 0, QN, 1);
	D[0] = (struct desc){(uintptr_t)BUF, 0x7fffffff, F_WRITE, 0};
	publish(0);
	w32(RNG + R_NOTIFY, 0);
	expect_broken(RNG, "rng: giant buffer accepted");
	setup(RNG, 0, QN, 1);
	zero(BUF, 64);
	D[0] = (struct desc){(uintptr_t)BUF, 64, F_WRITE, 0};
	publish(0);
	w32(RNG + R_NOTIFY, 0);
	wait_used(1, "rng request not completed");
	if (U->ring[0].len != 64)
		fail("rng did not fill 64 bytes");
	int nonzero = 0;
	for (int i = 0; i < 64; i++)
		nonzero += BUF[i] != 0;
	if (nonzero < 32)
		fail("rng bytes look like zeros");

	puts("virtio-abuse: ok\n");
	*SYSCON = 0x5555;
	for (;;)
		;
}

__asm__(".section .text.start\n"
	".globl _start\n"
	"_start:\n"
	"  li sp, 0x80100000\n"
	"  call main\n"
	"1: j 1b\n");

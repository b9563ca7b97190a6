# The KVM probe's guest (kvm-probe-guest.ts holds the assembled bytes; a unit test re-assembles this
# file and compares). A multiboot v1 kernel with the a.out kludge, so qemu's -kernel loads it as a flat
# binary at 1 MiB and enters it in 32-bit protected mode, paging off, through the firmware and the
# multiboot option ROM: the same road a Linux boot takes. It then does what a booting kernel does
# and a broken (e.g. nested) KVM chokes on: builds page tables, enters long mode, touches 12 MiB of
# memory, takes 100000 port I/O exits, and finally writes 42 to isa-debug-exit (port 0xf4), which makes
# qemu exit with status (42 << 1) | 1 = 85. Under working KVM this takes well under a second.
# Build: as --32 -o g.o kvm-probe-guest.S && ld -m elf_i386 -Ttext 0x100000 --oformat binary -o g.bin g.o
	.set BASE, 0x100000
	.set PML4, BASE + 0x1000
	.set PDPT, BASE + 0x2000
	.set PD,   BASE + 0x3000
	.set END,  BASE + 0x4000	# the image is padded to here with zeros: the page tables start zeroed
	.text
	.code32
	.globl _start
_start:
	jmp entry
	.balign 4
mb_header:
	.long 0x1BADB002		# multiboot magic
	.long 0x00010000		# flags: the address fields below are valid (a.out kludge)
	.long -(0x1BADB002 + 0x00010000)
	.long mb_header			# header_addr
	.long BASE			# load_addr
	.long 0				# load_end_addr: the whole file
	.long END			# bss_end_addr
	.long entry			# entry_addr
entry:
	cli
	movl $(PDPT + 3), PML4		# present | writable
	movl $(PD + 3), PDPT
	movl $PD, %edi			# identity-map 16 MiB with eight 2 MiB pages
	movl $0x83, %eax		# present | writable | page size
	movl $8, %ecx
2:	movl %eax, (%edi)
	addl $0x200000, %eax
	addl $8, %edi
	loop 2b
	movl $PML4, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $0x20, %eax			# CR4.PAE
	movl %eax, %cr4
	movl $0xC0000080, %ecx		# EFER
	rdmsr
	orl $0x100, %eax		# EFER.LME
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax		# CR0.PG | CR0.PE
	movl %eax, %cr0
	lgdt gdtr
	ljmp $0x08, $long_mode
	.code64
long_mode:
	movq $0x400000, %rdi		# write one word per 4 KiB page from 4 MiB to 16 MiB
3:	movq %rdi, (%rdi)
	addq $4096, %rdi
	cmpq $0x1000000, %rdi
	jb 3b
	movl $100000, %ecx		# port I/O exits to qemu (port 0x80: the POST diagnostic port)
4:	outb %al, $0x80
	loop 4b
	movq $1, %rax			# 42, computed with 64-bit operations
	shlq $40, %rax
	shrq $35, %rax
	addq $10, %rax
	outb %al, $0xf4
5:	hlt
	jmp 5b
	.balign 8
gdt:
	.quad 0
	.quad 0x00209A0000000000	# 64-bit code segment
	.quad 0x0000920000000000	# data segment
gdtr:
	.word gdtr - gdt - 1
	.long gdt

// Numbers shared by the virtio transport, queues and devices, in the spec's spelling.
// Spec: Virtual I/O Device (VIRTIO) Version 1.2, 2.1 (status), 2.7 (split virtqueues), 4.2.2 (MMIO
// registers), 5.x (device ids and features); Linux include/uapi/linux/virtio_{mmio,config,ring,ids}.h.

// 4.2.2 MMIO Device Register Layout (offsets from the slot base).
export const VIRTIO_MMIO_MAGIC_VALUE = 0x000;
export const VIRTIO_MMIO_VERSION = 0x004;
export const VIRTIO_MMIO_DEVICE_ID = 0x008;
export const VIRTIO_MMIO_VENDOR_ID = 0x00c;
export const VIRTIO_MMIO_DEVICE_FEATURES = 0x010;
export const VIRTIO_MMIO_DEVICE_FEATURES_SEL = 0x014;
export const VIRTIO_MMIO_DRIVER_FEATURES = 0x020;
export const VIRTIO_MMIO_DRIVER_FEATURES_SEL = 0x024;
export const VIRTIO_MMIO_QUEUE_SEL = 0x030;
export const VIRTIO_MMIO_QUEUE_NUM_MAX = 0x034;
export const VIRTIO_MMIO_QUEUE_NUM = 0x038;
export const VIRTIO_MMIO_QUEUE_READY = 0x044;
export const VIRTIO_MMIO_QUEUE_NOTIFY = 0x050;
export const VIRTIO_MMIO_INTERRUPT_STATUS = 0x060;
export const VIRTIO_MMIO_INTERRUPT_ACK = 0x064;
export const VIRTIO_MMIO_STATUS = 0x070;
export const VIRTIO_MMIO_QUEUE_DESC_LOW = 0x080;
export const VIRTIO_MMIO_QUEUE_DESC_HIGH = 0x084;
export const VIRTIO_MMIO_QUEUE_AVAIL_LOW = 0x090;
export const VIRTIO_MMIO_QUEUE_AVAIL_HIGH = 0x094;
export const VIRTIO_MMIO_QUEUE_USED_LOW = 0x0a0;
export const VIRTIO_MMIO_QUEUE_USED_HIGH = 0x0a4;
export const VIRTIO_MMIO_CONFIG_GENERATION = 0x0fc;
export const VIRTIO_MMIO_CONFIG = 0x100;

export const VIRTIO_MMIO_MAGIC = 0x74726976; // "virt", little-endian
export const VIRTIO_MMIO_TRANSPORT_VERSION = 2;
/** "QEMU": what Linux sees on QEMU's `virt` as well. */
export const VIRTIO_VENDOR_ID = 0x554d4551;

export const VIRTIO_MMIO_INT_VRING = 1 << 0;
export const VIRTIO_MMIO_INT_CONFIG = 1 << 1;

// 2.1 Device Status Field.
export const VIRTIO_CONFIG_S_ACKNOWLEDGE = 1;
export const VIRTIO_CONFIG_S_DRIVER = 2;
export const VIRTIO_CONFIG_S_DRIVER_OK = 4;
export const VIRTIO_CONFIG_S_FEATURES_OK = 8;
export const VIRTIO_CONFIG_S_NEEDS_RESET = 0x40;
export const VIRTIO_CONFIG_S_FAILED = 0x80;

// 6 Reserved feature bits (transport level).
export const VIRTIO_RING_F_INDIRECT_DESC = 28;
export const VIRTIO_RING_F_EVENT_IDX = 29;
export const VIRTIO_F_VERSION_1 = 32;

// 2.7.5 The Virtqueue Descriptor Table; 2.7.6 / 2.7.8 ring flags.
export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
export const VIRTQ_DESC_SIZE = 16;
export const VIRTQ_USED_ELEM_SIZE = 8;

// 5 Device Types (virtio_ids.h).
export const VIRTIO_ID_NET = 1;
export const VIRTIO_ID_BLOCK = 2;
export const VIRTIO_ID_CONSOLE = 3;
export const VIRTIO_ID_RNG = 4;
export const VIRTIO_ID_9P = 9;

/** `1n << BigInt(bit)` for feature words. */
export const featureBit = (bit: number): bigint => 1n << BigInt(bit);

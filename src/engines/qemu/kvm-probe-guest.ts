// The KVM probe's guest image: kvm-probe-guest.S assembled (see there for what it does and how to
// rebuild; test/unit/engines/qemu/kvm-probe-guest.test.ts checks these bytes against the source).

/** The assembled code and data, loaded at 1 MiB. */
export const PROBE_GUEST_CODE_BASE64 =
  '6yJmkAKwrRsAAAEA/k9R5AQAEAAAABAAAAAAAABAEAAkABAA+scFABAQAAMgEADHBQAgEAADMBAAvwAwEAC4gwAAALkIAAAAiQcFAAAgAIPHCOL0uAAQEAAPItgPIOCDyCAPIuC5gAAAwA8yDQABAAAPMA8gwA0BAACADyLADwEV4AAQAOqMABAACABIx8cAAEAASIk/SIHHABAAAEiB/wAAAAFy7bmghgEA5oDi/EjHwAEAAABIweAoSMHoI0iDwArm9PTr/ZAAAAAAAAAAAAAAAAAAmiAAAAAAAACSAAAXAMgAEAA=';

/** The image is padded with zeros to END - BASE, so the page tables after the code start zeroed. */
export const PROBE_GUEST_IMAGE_BYTES = 0x4000;
/** Value the guest writes to isa-debug-exit; qemu then exits with (value << 1) | 1. */
export const PROBE_GUEST_EXIT_VALUE = 42;
export const PROBE_GUEST_EXIT_STATUS = (PROBE_GUEST_EXIT_VALUE << 1) | 1;

export function probeGuestImage(): Uint8Array {
  const code = Buffer.from(PROBE_GUEST_CODE_BASE64, 'base64');
  const image = new Uint8Array(PROBE_GUEST_IMAGE_BYTES);
  image.set(code, 0);
  return image;
}

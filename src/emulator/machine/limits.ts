// The `virt` board's size limits, in a module of their own that imports nothing: the layers above
// check a machine's size against them (Vmfile checks, the builtin engine's refusal in the CLI)
// without loading the emulator itself.

/** QEMU's `virt` takes up to 8 harts per socket; one thread gains nothing from more. */
export const MAX_HARTS = 8;

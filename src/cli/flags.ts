// Flags several commands share, defined once. Short flags have one meaning across the CLI: -f is
// always --file (destroy's --force and logs' --follow have no short form).
import { Flags } from '@oclif/core';

/** The project: a Vmfile, or a folder holding one. */
export const fileFlag = Flags.string({
  char: 'f',
  description: 'the Vmfile (or a folder holding one); default: the nearest Vmfile from here upwards',
  env: 'VM_FILE',
});

/** Machine-readable output instead of the human one (the command's description gives its shape). */
export const jsonFlag = Flags.boolean({ description: 'print the result as JSON, for scripts' });

// `vm init`: the commented starter Vmfile, written without clobbering an existing one.
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { VMFILE_NAME } from './find-vmfile.js';
import { UserError } from '../errors.js';
import { VMFILE_SCHEMA_PATH } from './schema.js';

const BOX_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The starter Vmfile for `box`; `schemaRef` is what the editor line points at (a path or URL). */
export function initVmfileText(box: string, schemaRef: string): string {
  return `# yaml-language-server: $schema=${schemaRef}
# A Vmfile declares the machines of this project; \`vm up\` boots them.
# Every key is optional except \`box\`. \`vm validate\` checks this file, and
# \`vm config --json\` shows what it compiles to, with every default filled in.

# The box to boot (\`vm box list\` shows what is installed and bundled).
box: ${box}
# Or a box \`vm up\` downloads once when it is not installed (checksum: the archive's sha256):
# box: {name: mybox, version: ">=1.0", url: "https://example.org/mybox-1.0.box", checksum: "sha256:..."}

# Resources. memory takes 512M, 2G ... (powers of 1024).
cpus: 1
memory: 512M

# engine: auto          # auto (builtin when the box supports it), builtin or qemu
# hostname: my-machine  # default: the machine name
# boot_timeout: 2m      # how long \`vm up\` waits for the guest to be ready

# Ports on this host forwarded into the guest (host_ip defaults to 127.0.0.1).
# forwards:
#   - guest: 80
#     host: 8080

# Host folders shared into the guest; host paths are relative to this file.
# synced_folders:
#   - host: .
#     guest: /vagrant
#     read_only: false

# Run in order on the first \`vm up\` (run: once|always|never).
# provision:
#   - type: shell
#     inline: echo "hello from $(hostname)"
#   - type: shell
#     path: scripts/setup.sh
#     args: [--verbose]

# Several machines instead: move the keys above under \`defaults:\` and list
#   machines:
#     web: {forwards: [{guest: 80, host: 8080}]}
#     db:  {memory: 1G}
`;
}

/** The editor schema line's target: the installed schema, relative to where the Vmfile lives. */
export function schemaRefFor(vmfile: string): string {
  const rel = relative(dirname(vmfile), VMFILE_SCHEMA_PATH).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** Where `vm init -f PATH` writes: PATH, or PATH/Vmfile when PATH is a folder. */
export function initTarget(file: string, cwd: string): string {
  const target = resolve(cwd, file);
  try {
    if (statSync(target).isDirectory()) return join(target, VMFILE_NAME);
  } catch {
    // Not there yet: it is the file to create.
  }
  return target;
}

/** Writes a new Vmfile; refuses to replace one unless `force`. Returns the text written. */
export function writeInitVmfile(vmfile: string, opts: { box: string; force: boolean }): string {
  if (!BOX_NAME.test(opts.box)) {
    throw new UserError(`"${opts.box}" is not a box name: use letters, digits, ".", "-" and "_"`, { hint: 'see `vm box list`' });
  }
  const text = initVmfileText(opts.box, schemaRefFor(vmfile));
  if (!opts.force) {
    try {
      writeFileSync(vmfile, text, { flag: 'wx' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new UserError(`${vmfile} already exists`, { hint: 'pass --force to replace it' });
      if (code === 'ENOENT') throw new UserError(`cannot write ${vmfile}: the folder ${dirname(vmfile)} does not exist`);
      throw new UserError(`cannot write ${vmfile}: ${code ?? (err as Error).message}`);
    }
    return text;
  }
  // Replace through a rename so an interrupted write never leaves half a Vmfile.
  const tmp = `${vmfile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, text, { flag: 'wx' });
    renameSync(tmp, vmfile);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new UserError(`cannot write ${vmfile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return text;
}

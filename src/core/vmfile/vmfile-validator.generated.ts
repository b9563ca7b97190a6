// @ts-nocheck
// GENERATED from schemas/vmfile.schema.json by src/core/vmfile/schema-codegen.ts: do not edit.
// Regenerate: VM_UPDATE_GENERATED=1 npx vitest run test/unit/core/vmfile/schema.test.ts
"use strict";
export const validate = validate21;
export default validate21;
const schema6 = {"$schema":"http://json-schema.org/draft-07/schema#","title":"Vmfile","description":"Machines for `vm up`. Either one machine declared at the top level (it is named `default`), or several under `machines:` with shared settings under `defaults:`.","type":"object","additionalProperties":false,"properties":{"box":{"$ref":"#/definitions/machine/properties/box"},"engine":{"$ref":"#/definitions/machine/properties/engine"},"accel":{"$ref":"#/definitions/machine/properties/accel"},"cpus":{"$ref":"#/definitions/machine/properties/cpus"},"memory":{"$ref":"#/definitions/machine/properties/memory"},"disk_size":{"$ref":"#/definitions/machine/properties/disk_size"},"disks":{"$ref":"#/definitions/machine/properties/disks"},"nics":{"$ref":"#/definitions/machine/properties/nics"},"forwards":{"$ref":"#/definitions/machine/properties/forwards"},"auto_forwards":{"$ref":"#/definitions/machine/properties/auto_forwards"},"warm_start":{"$ref":"#/definitions/machine/properties/warm_start"},"synced_folders":{"$ref":"#/definitions/machine/properties/synced_folders"},"provision":{"$ref":"#/definitions/machine/properties/provision"},"hostname":{"$ref":"#/definitions/machine/properties/hostname"},"env":{"$ref":"#/definitions/machine/properties/env"},"cmdline":{"$ref":"#/definitions/machine/properties/cmdline"},"boot_timeout":{"$ref":"#/definitions/machine/properties/boot_timeout"},"ready":{"$ref":"#/definitions/machine/properties/ready"},"libvirt":{"$ref":"#/definitions/machine/properties/libvirt"},"machines":{"description":"Several machines, by name. Each takes the same keys as a single machine; keys it leaves out come from `defaults:`. The name is used for `vm up NAME`, the state folder `.vm/machines/NAME` and the default hostname.","type":"object","x-expected":"a mapping of machine names to machine settings","propertyNames":{"description":"A machine name: letters, digits, `-` and `_`, starting with a letter or digit, at most 63 characters.","pattern":"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$","x-expected":"a machine name made of letters, digits, `-` and `_` (starting with a letter or digit, at most 63 characters)"},"additionalProperties":{"$ref":"#/definitions/machine"}},"defaults":{"description":"Settings shared by every machine under `machines:`. A machine's own scalar keys win; its lists (disks, nics, forwards, synced_folders, provision, cmdline) come after the defaults' lists, and `env` maps are merged.","$ref":"#/definitions/machine"}},"definitions":{"machine":{"description":"One machine's settings (an empty entry takes everything from `defaults:`).","type":["object","null"],"additionalProperties":false,"properties":{"box":{"description":"The box the machine boots: a name (`tiny`), or `{name, version}` where version is a constraint such as `1.2.0`, `>=1.0`, `<2`, `~1.2`, `^1.2`, `1.2.*` or several parts (`>=1.0 <2`). See `vm box list`.","type":["string","object"],"pattern":"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$","x-expected":"a box name made of letters, digits, `.`, `-` and `_` (see `vm box list`)","additionalProperties":false,"required":["name"],"properties":{"name":{"description":"The box name, as shown by `vm box list`.","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$","x-expected":"a box name made of letters, digits, `.`, `-` and `_` (see `vm box list`)"},"version":{"description":"Which versions of the box are acceptable; the highest installed version that satisfies all of its parts is used. Examples: `0.1.0`, `>=1.0`, `<2`, `~1.2`, `^1.2`, `1.2.*`, `>=1.0 <2` (parts separated by spaces or commas).","type":"string","pattern":"^\\s*(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?(?:(?:\\s+(?:,\\s*)?|,\\s*)(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?){0,7}\\s*$","x-expected":"a version constraint such as `1.2.0`, `>=1.0`, `<2`, `~1.2`, `^1.2`, `1.2.*` or `>=1.0 <2`"},"url":{"description":"Where to get the box when it is not installed: the URL of a `.box` archive (http, https or file). `vm up` downloads it once into the box store under `name` (like Vagrant's `box_url`, Lima's image `location`); every file is still checked against its box.json.","type":"string","pattern":"^(?:[Hh][Tt][Tt][Pp][Ss]?|[Ff][Ii][Ll][Ee])://\\S+$","x-expected":"an http://, https:// or file:// URL of a .box archive"},"checksum":{"description":"The sha256 of the archive at `url` (`sha256:HEX` or HEX, like Lima's image `digest`): a download that does not match is refused and nothing is stored.","type":"string","pattern":"^(?:sha256:)?[0-9a-fA-F]{64}$","x-expected":"a sha256 checksum: 64 hex digits, optionally prefixed with `sha256:`"}}},"engine":{"description":"What runs the machine: `builtin` (vm's own RISC-V emulator, needs nothing installed), `qemu` (qemu-system-*, with KVM when the box matches the host), `libvirt` (a libvirt domain on this host or a remote hypervisor host, see `libvirt:`; the box must boot on qemu), or `auto` (the default: builtin when the box supports it, otherwise qemu).","enum":["auto","builtin","qemu","libvirt"]},"accel":{"description":"qemu acceleration: `kvm` (hardware, box architecture must match the host), `tcg` (pure emulation) or `auto` (the default: kvm when usable). The builtin engine ignores it.","enum":["auto","kvm","tcg"]},"cpus":{"description":"Number of virtual CPUs (harts). Default 1.","type":"integer","minimum":1,"maximum":64,"x-expected":"a whole number of CPUs from 1 to 64"},"memory":{"description":"Guest RAM: a size such as `512M`, `2G`, `1.5GiB` (K, M, G and T are powers of 1024; a trailing `B` or `iB` is allowed) or a number of bytes, a whole number of MiB. The builtin engine gives just under 4G (its RAM shares one wasm32 memory; `vm validate` says the exact limit); qemu has no such limit. Default 512M.","$ref":"#/definitions/size"},"disk_size":{"description":"Size of the root disk the guest sees, such as `20G` (powers of 1024) or a number of bytes (a multiple of 512): the box's root image on a larger disk, like a cloud image's. At least the size of the box's image (`vm validate` says both). Boxes that grow their root file system at boot fill it (debian-13 does; the tiny box leaves the extra space unused, see boxes/tiny/README.md). A larger size on an existing machine grows its disk at the next `vm up` or `vm reload` on qemu; the builtin and libvirt engines size it when the machine is created (`vm destroy`, then `vm up`). Disks never shrink. Default: the image's size.","$ref":"#/definitions/size"},"disks":{"description":"Extra disks, attached after the box's root disk, each a sparse raw image created in the machine's state folder on first `vm up`.","type":"array","items":{"description":"One extra disk.","type":"object","additionalProperties":false,"required":["name","size"],"properties":{"name":{"description":"Disk name, unique within the machine: letters, digits, `-` and `_`. Names the image file `.vm/machines/MACHINE/disks/NAME.raw`.","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$","x-expected":"a disk name made of letters, digits, `-` and `_` (starting with a letter or digit)"},"size":{"description":"Disk size, such as `10G` or `512M` (powers of 1024), or a number of bytes (a multiple of 512).","$ref":"#/definitions/size"}}}},"nics":{"description":"Network cards, in order. Default: one `nat` card (user-mode networking with outbound access; forwards go through it). Listing nics replaces the default, so keep a `nat` entry if the machine needs the internet or forwards.","type":"array","items":{"description":"One network card: `{type: nat}` or `{type: private, network: NAME}`.","type":"object","discriminator":{"propertyName":"type"},"required":["type"],"oneOf":[{"description":"User-mode NAT: outbound access to the host's networks; the guest gets its address by DHCP.","additionalProperties":false,"properties":{"type":{"description":"`nat`: user-mode networking.","const":"nat"},"mac":{"$ref":"#/definitions/mac"}}},{"description":"A private network shared by the machines (of any project on this host) that name the same network.","additionalProperties":false,"required":["network"],"properties":{"type":{"description":"`private`: a network between machines, not routed to the outside.","const":"private"},"network":{"description":"Network name; machines naming the same network can reach each other.","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$","x-expected":"a network name made of letters, digits, `-` and `_` (starting with a letter or digit)"},"ip":{"description":"Static IPv4 address of this card on the private network, such as `192.168.56.10`. Without it the guest configures the card itself.","type":"string","pattern":"^[0-9]{1,3}(\\.[0-9]{1,3}){3}$","x-expected":"an IPv4 address such as 192.168.56.10"},"mac":{"$ref":"#/definitions/mac"}}}]}},"forwards":{"description":"Ports on the host forwarded to ports in the guest (through the `nat` card).","type":"array","items":{"description":"One port forward.","type":"object","additionalProperties":false,"required":["guest","host"],"properties":{"guest":{"description":"Port in the guest.","$ref":"#/definitions/port"},"host":{"description":"Port on the host. Must be unique (per address and protocol) across all machines of the Vmfile.","$ref":"#/definitions/port"},"host_ip":{"description":"Host address to listen on. Default `127.0.0.1` (this host only); `0.0.0.0` exposes the port to every network the host is on.","type":"string","x-expected":"an IP address such as 127.0.0.1"},"protocol":{"description":"`tcp` (default) or `udp`.","enum":["tcp","udp"]},"auto_correct":{"description":"When the host port is taken at `vm up`, forward a free port the system picks instead of failing (as Vagrant's `auto_correct`). `vm up` and `vm port` say which port was used. Default false.","type":"boolean"}}}},"auto_forwards":{"description":"Forward each TCP port the guest listens on to the same port on the host's 127.0.0.1, while it listens and when that host port is free (as Lima does): a server started after `vm up` is reachable at once. Ports in `forwards:` keep their own forward. The connections go through the guest agent (`nc` in the guest). `vm port` lists them. Default false.","type":"boolean"},"warm_start":{"description":"Builtin engine only: the first `vm up` of a machine of this shape (box, memory, cpus, disk size, network cards, synced folders, extra disks) saves the booted guest as a warm image once its agent answers, and later `vm up`s of new machines of the same shape (after `vm destroy`, or a second machine from the same box) resume from it instead of booting the kernel. Each resumed machine gets its own hostname, MAC address, random seed, SSH host key, synced folders and disk overlay through the guest agent. Machines on private networks always boot cold. Default false.","type":"boolean"},"synced_folders":{"description":"Host folders shared into the guest over 9p (virtio-9p).","type":"array","items":{"description":"One shared folder.","type":"object","additionalProperties":false,"required":["host","guest"],"properties":{"host":{"description":"Host folder, relative to the Vmfile's folder (`.` is the project itself) or absolute; `~/` means the home folder. It must exist.","type":"string","pattern":"\\S","x-expected":"a host folder path"},"guest":{"description":"Absolute path where the guest mounts the folder, without spaces or `:` (the box's init reads mounts from the kernel command line).","$ref":"#/definitions/guestPath"},"read_only":{"description":"Mount read-only in the guest. Default false.","type":"boolean"},"tag":{"description":"9p mount tag, unique within the machine. Default: the guest path made into a tag (`/vagrant` -> `vagrant`).","type":"string","pattern":"^[A-Za-z0-9_.-]{1,31}$","x-expected":"a tag of at most 31 letters, digits, `_`, `.` or `-`"}}}},"provision":{"description":"Provisioners, run in order on the first `vm up` (and by `vm provision`): `shell` runs a script in the guest, `file` copies a host file into it.","type":"array","items":{"description":"One provisioner: `{type: shell, inline|path, ...}` or `{type: file, source, destination}`.","type":"object","discriminator":{"propertyName":"type"},"required":["type"],"oneOf":[{"description":"Runs a shell script in the guest as root.","additionalProperties":false,"properties":{"type":{"description":"`shell`: run a script in the guest.","const":"shell"},"name":{"$ref":"#/definitions/provisionerName"},"inline":{"description":"The script itself (use a `|` block for several lines). Give either inline or path.","type":"string"},"path":{"description":"A script file on the host, relative to the Vmfile's folder or absolute; it is read when the Vmfile is loaded. Give either inline or path.","type":"string","pattern":"\\S","x-expected":"a host file path"},"args":{"description":"Arguments passed to the script ($1, $2 ...), each exactly as written: nothing is split or expanded by a shell on the host.","type":"array","items":{"description":"One argument.","type":["string","number","boolean"]}},"env":{"description":"Environment variables for this script, on top of the machine's `env`.","$ref":"#/definitions/envMap"},"run":{"$ref":"#/definitions/provisionRun"}}},{"description":"Copies a file from the host into the guest.","additionalProperties":false,"required":["source","destination"],"properties":{"type":{"description":"`file`: copy a host file into the guest.","const":"file"},"name":{"$ref":"#/definitions/provisionerName"},"source":{"description":"Host file, relative to the Vmfile's folder or absolute. It must exist.","type":"string","pattern":"\\S","x-expected":"a host file path"},"destination":{"description":"Absolute path of the file in the guest.","$ref":"#/definitions/guestPath"},"run":{"$ref":"#/definitions/provisionRun"}}}]}},"hostname":{"description":"The guest's hostname. Default: the machine name made into a valid hostname.","type":"string","pattern":"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$","x-expected":"a hostname: letters, digits and `-` in dot-separated labels of at most 63 characters"},"env":{"description":"Environment variables set for every provisioner and every `vm ssh` session or command (`vm ssh -c`, `vm ssh NAME -- CMD`) in this machine.","$ref":"#/definitions/envMap"},"cmdline":{"description":"Additions to the kernel command line, appended after the box's own (a string, or a list of parameters).","type":["string","array"],"pattern":"^[^\\u0000-\\u001f]*$","x-expected":"kernel parameters on one line","items":{"description":"One kernel parameter, such as `loglevel=7`.","type":"string","pattern":"^[^\\u0000-\\u001f]*$","x-expected":"a kernel parameter without control characters"}},"boot_timeout":{"description":"How long `vm up` waits for the guest to be ready: `120s`, `2m`, `1m30s`, `1h` or a number of seconds. Default 120s.","type":["string","integer"],"pattern":"^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$","x-expected":"a duration such as 120s, 2m, 1m30s or a number of seconds"},"ready":{"description":"How `vm up` knows the machine's service is ready, after provisioning: `{tcp: PORT}` waits until a program in the guest listens on that TCP port, `{command: \"...\"}` until the command (run with `sh -c` in the guest) exits 0. Machines that `depends_on` this one wait for it.","type":"object","x-expected":"`{tcp: PORT}` or `{command: \"...\"}`, with an optional `timeout`","additionalProperties":false,"properties":{"tcp":{"description":"A TCP port in the guest: ready once something listens on it.","$ref":"#/definitions/port"},"command":{"description":"A shell command run in the guest every second: ready once it exits 0.","type":"string","pattern":"\\S","x-expected":"a shell command"},"timeout":{"description":"How long to wait for readiness before `vm up` fails: `60s`, `2m` or a number of seconds. Default 60s.","type":["string","integer"],"pattern":"^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$","x-expected":"a duration such as 60s, 2m or a number of seconds"}}},"libvirt":{"description":"Settings of `engine: libvirt`. The machine becomes a libvirt domain managed through `virsh`.","type":"object","additionalProperties":false,"properties":{"uri":{"description":"The libvirt connection URI: `qemu:///system` (the default; `$VM_LIBVIRT_URI` overrides the default), or a remote hypervisor host such as `qemu+ssh://user@host/system`.","type":"string","pattern":"^[A-Za-z][A-Za-z0-9+.-]*://[^\\s]*$","x-expected":"a libvirt URI such as qemu:///system or qemu+ssh://user@host/system"},"pool":{"description":"The storage pool holding box images (uploaded once) and each machine's overlay volumes. Default `vm` (a directory pool created on first use under /var/lib/libvirt/vm).","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$","x-expected":"a pool name made of letters, digits, `-`, `_` and `.`"}}},"primary":{"description":"This machine is the one commands that act on a single machine (`vm ssh`, `vm logs`, `vm cp`) use when no name is given, as Vagrant's `primary: true`. At most one machine may set it; not under `defaults:`.","type":"boolean"},"depends_on":{"description":"Machines that must be up, and pass their `ready` probe, before this one boots. `vm up` follows these: independent machines boot together, and `vm up NAME` brings NAME's dependencies up too. Names must be machines of this Vmfile; cycles are refused. Not under `defaults:`.","type":"array","x-expected":"a list of machine names","items":{"description":"The name of another machine of this Vmfile.","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$","x-expected":"a machine name"}}}},"size":{"type":["string","integer"],"pattern":"^[0-9]+(?:\\.[0-9]+)?\\s*(?:[KkMmGgTt](?:[Ii]?[Bb])?|[Bb])?$","x-expected":"a size such as 512M, 2G or a number of bytes","minimum":0},"port":{"type":"integer","minimum":1,"maximum":65535,"x-expected":"a port number from 1 to 65535"},"mac":{"description":"MAC address of the card, such as `52:54:00:12:34:56`. Default: a stable address derived from the project folder, machine name and card index.","type":"string","pattern":"^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$","x-expected":"a MAC address such as 52:54:00:12:34:56"},"guestPath":{"type":"string","pattern":"^/[^\\u0000]*$","x-expected":"an absolute guest path starting with /"},"envMap":{"type":"object","x-expected":"a mapping of variable names to values","propertyNames":{"description":"A variable name: letters, digits and `_`, not starting with a digit.","pattern":"^[A-Za-z_][A-Za-z0-9_]*$","x-expected":"an environment variable name (letters, digits and `_`, not starting with a digit)"},"additionalProperties":{"description":"The variable's value, passed as is (numbers and booleans are turned into text).","type":["string","number","boolean"],"x-expected":"a string, number or boolean"}},"provisionerName":{"description":"Name shown in the output and used by `vm provision --name`; unique within the machine. Default: `shell-N` or `file-N` from its position.","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$","x-expected":"a name made of letters, digits, spaces, `.`, `-` and `_`"},"provisionRun":{"description":"When it runs: `once` (the default: on the first `vm up`, and on `vm provision`), `always` (on every `vm up`), `never` (only when asked for by name with `vm provision --name`).","enum":["once","always","never"]}}};
const func2 = Object.prototype.hasOwnProperty;
const schema7 = {"description":"The box the machine boots: a name (`tiny`), or `{name, version}` where version is a constraint such as `1.2.0`, `>=1.0`, `<2`, `~1.2`, `^1.2`, `1.2.*` or several parts (`>=1.0 <2`). See `vm box list`.","type":["string","object"],"pattern":"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$","x-expected":"a box name made of letters, digits, `.`, `-` and `_` (see `vm box list`)","additionalProperties":false,"required":["name"],"properties":{"name":{"description":"The box name, as shown by `vm box list`.","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$","x-expected":"a box name made of letters, digits, `.`, `-` and `_` (see `vm box list`)"},"version":{"description":"Which versions of the box are acceptable; the highest installed version that satisfies all of its parts is used. Examples: `0.1.0`, `>=1.0`, `<2`, `~1.2`, `^1.2`, `1.2.*`, `>=1.0 <2` (parts separated by spaces or commas).","type":"string","pattern":"^\\s*(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?(?:(?:\\s+(?:,\\s*)?|,\\s*)(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?){0,7}\\s*$","x-expected":"a version constraint such as `1.2.0`, `>=1.0`, `<2`, `~1.2`, `^1.2`, `1.2.*` or `>=1.0 <2`"},"url":{"description":"Where to get the box when it is not installed: the URL of a `.box` archive (http, https or file). `vm up` downloads it once into the box store under `name` (like Vagrant's `box_url`, Lima's image `location`); every file is still checked against its box.json.","type":"string","pattern":"^(?:[Hh][Tt][Tt][Pp][Ss]?|[Ff][Ii][Ll][Ee])://\\S+$","x-expected":"an http://, https:// or file:// URL of a .box archive"},"checksum":{"description":"The sha256 of the archive at `url` (`sha256:HEX` or HEX, like Lima's image `digest`): a download that does not match is refused and nothing is stored.","type":"string","pattern":"^(?:sha256:)?[0-9a-fA-F]{64}$","x-expected":"a sha256 checksum: 64 hex digits, optionally prefixed with `sha256:`"}}};
const pattern0 = new RegExp("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", "u");
const pattern2 = new RegExp("^\\s*(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?(?:(?:\\s+(?:,\\s*)?|,\\s*)(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?){0,7}\\s*$", "u");
const pattern3 = new RegExp("^(?:[Hh][Tt][Tt][Pp][Ss]?|[Ff][Ii][Ll][Ee])://\\S+$", "u");
const pattern4 = new RegExp("^(?:sha256:)?[0-9a-fA-F]{64}$", "u");

function validate22(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if((typeof data !== "string") && (!(data && typeof data == "object" && !Array.isArray(data)))){
const err0 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: schema7.type},message:"must be string,object",schema:schema7.type,parentSchema:schema7,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(typeof data === "string"){
if(!pattern0.test(data)){
const err1 = {instancePath,schemaPath:"#/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"+"\"",schema:"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",parentSchema:schema7,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.name === undefined){
const err2 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "name"},message:"must have required property '"+"name"+"'",schema:schema7.required,parentSchema:schema7,data};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
for(const key0 in data){
if(!((((key0 === "name") || (key0 === "version")) || (key0 === "url")) || (key0 === "checksum"))){
const err3 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema7,data};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data.name !== undefined){
let data0 = data.name;
if(typeof data0 === "string"){
if(!pattern0.test(data0)){
const err4 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"+"\"",schema:"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",parentSchema:schema7.properties.name,data:data0};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
else {
const err5 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema7.properties.name.type,parentSchema:schema7.properties.name,data:data0};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data.version !== undefined){
let data1 = data.version;
if(typeof data1 === "string"){
if(!pattern2.test(data1)){
const err6 = {instancePath:instancePath+"/version",schemaPath:"#/properties/version/pattern",keyword:"pattern",params:{pattern: "^\\s*(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?(?:(?:\\s+(?:,\\s*)?|,\\s*)(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?){0,7}\\s*$"},message:"must match pattern \""+"^\\s*(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?(?:(?:\\s+(?:,\\s*)?|,\\s*)(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?){0,7}\\s*$"+"\"",schema:"^\\s*(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?(?:(?:\\s+(?:,\\s*)?|,\\s*)(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?){0,7}\\s*$",parentSchema:schema7.properties.version,data:data1};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
else {
const err7 = {instancePath:instancePath+"/version",schemaPath:"#/properties/version/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema7.properties.version.type,parentSchema:schema7.properties.version,data:data1};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data.url !== undefined){
let data2 = data.url;
if(typeof data2 === "string"){
if(!pattern3.test(data2)){
const err8 = {instancePath:instancePath+"/url",schemaPath:"#/properties/url/pattern",keyword:"pattern",params:{pattern: "^(?:[Hh][Tt][Tt][Pp][Ss]?|[Ff][Ii][Ll][Ee])://\\S+$"},message:"must match pattern \""+"^(?:[Hh][Tt][Tt][Pp][Ss]?|[Ff][Ii][Ll][Ee])://\\S+$"+"\"",schema:"^(?:[Hh][Tt][Tt][Pp][Ss]?|[Ff][Ii][Ll][Ee])://\\S+$",parentSchema:schema7.properties.url,data:data2};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
else {
const err9 = {instancePath:instancePath+"/url",schemaPath:"#/properties/url/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema7.properties.url.type,parentSchema:schema7.properties.url,data:data2};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data.checksum !== undefined){
let data3 = data.checksum;
if(typeof data3 === "string"){
if(!pattern4.test(data3)){
const err10 = {instancePath:instancePath+"/checksum",schemaPath:"#/properties/checksum/pattern",keyword:"pattern",params:{pattern: "^(?:sha256:)?[0-9a-fA-F]{64}$"},message:"must match pattern \""+"^(?:sha256:)?[0-9a-fA-F]{64}$"+"\"",schema:"^(?:sha256:)?[0-9a-fA-F]{64}$",parentSchema:schema7.properties.checksum,data:data3};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
else {
const err11 = {instancePath:instancePath+"/checksum",schemaPath:"#/properties/checksum/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema7.properties.checksum.type,parentSchema:schema7.properties.checksum,data:data3};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
}
validate22.errors = vErrors;
return errors === 0;
}

const schema8 = {"description":"What runs the machine: `builtin` (vm's own RISC-V emulator, needs nothing installed), `qemu` (qemu-system-*, with KVM when the box matches the host), `libvirt` (a libvirt domain on this host or a remote hypervisor host, see `libvirt:`; the box must boot on qemu), or `auto` (the default: builtin when the box supports it, otherwise qemu).","enum":["auto","builtin","qemu","libvirt"]};

function validate24(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(!((((data === "auto") || (data === "builtin")) || (data === "qemu")) || (data === "libvirt"))){
const err0 = {instancePath,schemaPath:"#/enum",keyword:"enum",params:{allowedValues: schema8.enum},message:"must be equal to one of the allowed values",schema:schema8.enum,parentSchema:schema8,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
validate24.errors = vErrors;
return errors === 0;
}

const schema9 = {"description":"qemu acceleration: `kvm` (hardware, box architecture must match the host), `tcg` (pure emulation) or `auto` (the default: kvm when usable). The builtin engine ignores it.","enum":["auto","kvm","tcg"]};

function validate26(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(!(((data === "auto") || (data === "kvm")) || (data === "tcg"))){
const err0 = {instancePath,schemaPath:"#/enum",keyword:"enum",params:{allowedValues: schema9.enum},message:"must be equal to one of the allowed values",schema:schema9.enum,parentSchema:schema9,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
validate26.errors = vErrors;
return errors === 0;
}

const schema10 = {"description":"Number of virtual CPUs (harts). Default 1.","type":"integer","minimum":1,"maximum":64,"x-expected":"a whole number of CPUs from 1 to 64"};

function validate28(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(!(((typeof data == "number") && (!(data % 1) && !isNaN(data))) && (isFinite(data)))){
const err0 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema10.type,parentSchema:schema10,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if((typeof data == "number") && (isFinite(data))){
if(data > 64 || isNaN(data)){
const err1 = {instancePath,schemaPath:"#/maximum",keyword:"maximum",params:{comparison: "<=", limit: 64},message:"must be <= 64",schema:64,parentSchema:schema10,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
if(data < 1 || isNaN(data)){
const err2 = {instancePath,schemaPath:"#/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema10,data};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
validate28.errors = vErrors;
return errors === 0;
}

const schema11 = {"type":["string","integer"],"pattern":"^[0-9]+(?:\\.[0-9]+)?\\s*(?:[KkMmGgTt](?:[Ii]?[Bb])?|[Bb])?$","x-expected":"a size such as 512M, 2G or a number of bytes","minimum":0};
const pattern5 = new RegExp("^[0-9]+(?:\\.[0-9]+)?\\s*(?:[KkMmGgTt](?:[Ii]?[Bb])?|[Bb])?$", "u");

function validate30(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if((typeof data !== "string") && (!(((typeof data == "number") && (!(data % 1) && !isNaN(data))) && (isFinite(data))))){
const err0 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: schema11.type},message:"must be string,integer",schema:schema11.type,parentSchema:schema11,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if((typeof data == "number") && (isFinite(data))){
if(data < 0 || isNaN(data)){
const err1 = {instancePath,schemaPath:"#/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0",schema:0,parentSchema:schema11,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(typeof data === "string"){
if(!pattern5.test(data)){
const err2 = {instancePath,schemaPath:"#/pattern",keyword:"pattern",params:{pattern: "^[0-9]+(?:\\.[0-9]+)?\\s*(?:[KkMmGgTt](?:[Ii]?[Bb])?|[Bb])?$"},message:"must match pattern \""+"^[0-9]+(?:\\.[0-9]+)?\\s*(?:[KkMmGgTt](?:[Ii]?[Bb])?|[Bb])?$"+"\"",schema:"^[0-9]+(?:\\.[0-9]+)?\\s*(?:[KkMmGgTt](?:[Ii]?[Bb])?|[Bb])?$",parentSchema:schema11,data};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
validate30.errors = vErrors;
return errors === 0;
}


function validate32(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if((typeof data !== "string") && (!(((typeof data == "number") && (!(data % 1) && !isNaN(data))) && (isFinite(data))))){
const err0 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: schema11.type},message:"must be string,integer",schema:schema11.type,parentSchema:schema11,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if((typeof data == "number") && (isFinite(data))){
if(data < 0 || isNaN(data)){
const err1 = {instancePath,schemaPath:"#/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0",schema:0,parentSchema:schema11,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(typeof data === "string"){
if(!pattern5.test(data)){
const err2 = {instancePath,schemaPath:"#/pattern",keyword:"pattern",params:{pattern: "^[0-9]+(?:\\.[0-9]+)?\\s*(?:[KkMmGgTt](?:[Ii]?[Bb])?|[Bb])?$"},message:"must match pattern \""+"^[0-9]+(?:\\.[0-9]+)?\\s*(?:[KkMmGgTt](?:[Ii]?[Bb])?|[Bb])?$"+"\"",schema:"^[0-9]+(?:\\.[0-9]+)?\\s*(?:[KkMmGgTt](?:[Ii]?[Bb])?|[Bb])?$",parentSchema:schema11,data};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
validate32.errors = vErrors;
return errors === 0;
}

const schema13 = {"description":"Extra disks, attached after the box's root disk, each a sparse raw image created in the machine's state folder on first `vm up`.","type":"array","items":{"description":"One extra disk.","type":"object","additionalProperties":false,"required":["name","size"],"properties":{"name":{"description":"Disk name, unique within the machine: letters, digits, `-` and `_`. Names the image file `.vm/machines/MACHINE/disks/NAME.raw`.","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$","x-expected":"a disk name made of letters, digits, `-` and `_` (starting with a letter or digit)"},"size":{"description":"Disk size, such as `10G` or `512M` (powers of 1024), or a number of bytes (a multiple of 512).","$ref":"#/definitions/size"}}}};
const pattern7 = new RegExp("^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$", "u");

function validate35(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if((typeof data !== "string") && (!(((typeof data == "number") && (!(data % 1) && !isNaN(data))) && (isFinite(data))))){
const err0 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: schema11.type},message:"must be string,integer",schema:schema11.type,parentSchema:schema11,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if((typeof data == "number") && (isFinite(data))){
if(data < 0 || isNaN(data)){
const err1 = {instancePath,schemaPath:"#/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0",schema:0,parentSchema:schema11,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(typeof data === "string"){
if(!pattern5.test(data)){
const err2 = {instancePath,schemaPath:"#/pattern",keyword:"pattern",params:{pattern: "^[0-9]+(?:\\.[0-9]+)?\\s*(?:[KkMmGgTt](?:[Ii]?[Bb])?|[Bb])?$"},message:"must match pattern \""+"^[0-9]+(?:\\.[0-9]+)?\\s*(?:[KkMmGgTt](?:[Ii]?[Bb])?|[Bb])?$"+"\"",schema:"^[0-9]+(?:\\.[0-9]+)?\\s*(?:[KkMmGgTt](?:[Ii]?[Bb])?|[Bb])?$",parentSchema:schema11,data};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
validate35.errors = vErrors;
return errors === 0;
}


function validate34(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(Array.isArray(data)){
const len0 = data.length;
for(let i0=0; i0<len0; i0++){
let data0 = data[i0];
if(data0 && typeof data0 == "object" && !Array.isArray(data0)){
if(data0.name === undefined){
const err0 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/required",keyword:"required",params:{missingProperty: "name"},message:"must have required property '"+"name"+"'",schema:schema13.items.required,parentSchema:schema13.items,data:data0};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(data0.size === undefined){
const err1 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/required",keyword:"required",params:{missingProperty: "size"},message:"must have required property '"+"size"+"'",schema:schema13.items.required,parentSchema:schema13.items,data:data0};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
for(const key0 in data0){
if(!((key0 === "name") || (key0 === "size"))){
const err2 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema13.items,data:data0};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data0.name !== undefined){
let data1 = data0.name;
if(typeof data1 === "string"){
if(!pattern7.test(data1)){
const err3 = {instancePath:instancePath+"/" + i0+"/name",schemaPath:"#/items/properties/name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"+"\"",schema:"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$",parentSchema:schema13.items.properties.name,data:data1};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
else {
const err4 = {instancePath:instancePath+"/" + i0+"/name",schemaPath:"#/items/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema13.items.properties.name.type,parentSchema:schema13.items.properties.name,data:data1};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data0.size !== undefined){
if(!(validate35(data0.size, {instancePath:instancePath+"/" + i0+"/size",parentData:data0,parentDataProperty:"size",rootData}))){
vErrors = vErrors === null ? validate35.errors : vErrors.concat(validate35.errors);
errors = vErrors.length;
}
}
}
else {
const err5 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema13.items.type,parentSchema:schema13.items,data:data0};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
}
else {
const err6 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema13.type,parentSchema:schema13,data};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
validate34.errors = vErrors;
return errors === 0;
}

const schema15 = {"description":"Network cards, in order. Default: one `nat` card (user-mode networking with outbound access; forwards go through it). Listing nics replaces the default, so keep a `nat` entry if the machine needs the internet or forwards.","type":"array","items":{"description":"One network card: `{type: nat}` or `{type: private, network: NAME}`.","type":"object","discriminator":{"propertyName":"type"},"required":["type"],"oneOf":[{"description":"User-mode NAT: outbound access to the host's networks; the guest gets its address by DHCP.","additionalProperties":false,"properties":{"type":{"description":"`nat`: user-mode networking.","const":"nat"},"mac":{"$ref":"#/definitions/mac"}}},{"description":"A private network shared by the machines (of any project on this host) that name the same network.","additionalProperties":false,"required":["network"],"properties":{"type":{"description":"`private`: a network between machines, not routed to the outside.","const":"private"},"network":{"description":"Network name; machines naming the same network can reach each other.","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$","x-expected":"a network name made of letters, digits, `-` and `_` (starting with a letter or digit)"},"ip":{"description":"Static IPv4 address of this card on the private network, such as `192.168.56.10`. Without it the guest configures the card itself.","type":"string","pattern":"^[0-9]{1,3}(\\.[0-9]{1,3}){3}$","x-expected":"an IPv4 address such as 192.168.56.10"},"mac":{"$ref":"#/definitions/mac"}}}]}};
const schema16 = {"description":"MAC address of the card, such as `52:54:00:12:34:56`. Default: a stable address derived from the project folder, machine name and card index.","type":"string","pattern":"^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$","x-expected":"a MAC address such as 52:54:00:12:34:56"};
const pattern9 = new RegExp("^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$", "u");

function validate39(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(typeof data === "string"){
if(!pattern9.test(data)){
const err0 = {instancePath,schemaPath:"#/pattern",keyword:"pattern",params:{pattern: "^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$"},message:"must match pattern \""+"^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$"+"\"",schema:"^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$",parentSchema:schema16,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
else {
const err1 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema16.type,parentSchema:schema16,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
validate39.errors = vErrors;
return errors === 0;
}

const pattern11 = new RegExp("^[0-9]{1,3}(\\.[0-9]{1,3}){3}$", "u");

function validate38(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(Array.isArray(data)){
const len0 = data.length;
for(let i0=0; i0<len0; i0++){
let data0 = data[i0];
if(data0 && typeof data0 == "object" && !Array.isArray(data0)){
if(data0.type === undefined){
const err0 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/required",keyword:"required",params:{missingProperty: "type"},message:"must have required property '"+"type"+"'",schema:schema15.items.required,parentSchema:schema15.items,data:data0};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
const tag0 = data0.type;
if(typeof tag0 == "string"){
if(tag0 === "nat"){
if(data0 && typeof data0 == "object" && !Array.isArray(data0)){
for(const key0 in data0){
if(!((key0 === "type") || (key0 === "mac"))){
const err1 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/oneOf/0/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema15.items.oneOf[0],data:data0};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data0.type !== undefined){
let data1 = data0.type;
if("nat" !== data1){
const err2 = {instancePath:instancePath+"/" + i0+"/type",schemaPath:"#/items/oneOf/0/properties/type/const",keyword:"const",params:{allowedValue: "nat"},message:"must be equal to constant",schema:"nat",parentSchema:schema15.items.oneOf[0].properties.type,data:data1};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data0.mac !== undefined){
if(!(validate39(data0.mac, {instancePath:instancePath+"/" + i0+"/mac",parentData:data0,parentDataProperty:"mac",rootData}))){
vErrors = vErrors === null ? validate39.errors : vErrors.concat(validate39.errors);
errors = vErrors.length;
}
}
}
}
else if(tag0 === "private"){
if(data0 && typeof data0 == "object" && !Array.isArray(data0)){
if(data0.network === undefined){
const err3 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/oneOf/1/required",keyword:"required",params:{missingProperty: "network"},message:"must have required property '"+"network"+"'",schema:schema15.items.oneOf[1].required,parentSchema:schema15.items.oneOf[1],data:data0};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
for(const key1 in data0){
if(!((((key1 === "type") || (key1 === "network")) || (key1 === "ip")) || (key1 === "mac"))){
const err4 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/oneOf/1/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties",schema:false,parentSchema:schema15.items.oneOf[1],data:data0};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data0.type !== undefined){
let data3 = data0.type;
if("private" !== data3){
const err5 = {instancePath:instancePath+"/" + i0+"/type",schemaPath:"#/items/oneOf/1/properties/type/const",keyword:"const",params:{allowedValue: "private"},message:"must be equal to constant",schema:"private",parentSchema:schema15.items.oneOf[1].properties.type,data:data3};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data0.network !== undefined){
let data4 = data0.network;
if(typeof data4 === "string"){
if(!pattern7.test(data4)){
const err6 = {instancePath:instancePath+"/" + i0+"/network",schemaPath:"#/items/oneOf/1/properties/network/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"+"\"",schema:"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$",parentSchema:schema15.items.oneOf[1].properties.network,data:data4};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
else {
const err7 = {instancePath:instancePath+"/" + i0+"/network",schemaPath:"#/items/oneOf/1/properties/network/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema15.items.oneOf[1].properties.network.type,parentSchema:schema15.items.oneOf[1].properties.network,data:data4};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data0.ip !== undefined){
let data5 = data0.ip;
if(typeof data5 === "string"){
if(!pattern11.test(data5)){
const err8 = {instancePath:instancePath+"/" + i0+"/ip",schemaPath:"#/items/oneOf/1/properties/ip/pattern",keyword:"pattern",params:{pattern: "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$"},message:"must match pattern \""+"^[0-9]{1,3}(\\.[0-9]{1,3}){3}$"+"\"",schema:"^[0-9]{1,3}(\\.[0-9]{1,3}){3}$",parentSchema:schema15.items.oneOf[1].properties.ip,data:data5};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
else {
const err9 = {instancePath:instancePath+"/" + i0+"/ip",schemaPath:"#/items/oneOf/1/properties/ip/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema15.items.oneOf[1].properties.ip.type,parentSchema:schema15.items.oneOf[1].properties.ip,data:data5};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data0.mac !== undefined){
if(!(validate39(data0.mac, {instancePath:instancePath+"/" + i0+"/mac",parentData:data0,parentDataProperty:"mac",rootData}))){
vErrors = vErrors === null ? validate39.errors : vErrors.concat(validate39.errors);
errors = vErrors.length;
}
}
}
}
else {
const err10 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/discriminator",keyword:"discriminator",params:{error: "mapping", tag: "type", tagValue: tag0},message:"value of tag \"type\" must be in oneOf",schema:schema15.items.discriminator,parentSchema:schema15.items,data:data0};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
else {
const err11 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/discriminator",keyword:"discriminator",params:{error: "tag", tag: "type", tagValue: tag0},message:"tag \"type\" must be string",schema:schema15.items.discriminator,parentSchema:schema15.items,data:data0};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
else {
const err12 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema15.items.type,parentSchema:schema15.items,data:data0};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
}
else {
const err13 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema15.type,parentSchema:schema15,data};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
validate38.errors = vErrors;
return errors === 0;
}

const schema17 = {"description":"Ports on the host forwarded to ports in the guest (through the `nat` card).","type":"array","items":{"description":"One port forward.","type":"object","additionalProperties":false,"required":["guest","host"],"properties":{"guest":{"description":"Port in the guest.","$ref":"#/definitions/port"},"host":{"description":"Port on the host. Must be unique (per address and protocol) across all machines of the Vmfile.","$ref":"#/definitions/port"},"host_ip":{"description":"Host address to listen on. Default `127.0.0.1` (this host only); `0.0.0.0` exposes the port to every network the host is on.","type":"string","x-expected":"an IP address such as 127.0.0.1"},"protocol":{"description":"`tcp` (default) or `udp`.","enum":["tcp","udp"]},"auto_correct":{"description":"When the host port is taken at `vm up`, forward a free port the system picks instead of failing (as Vagrant's `auto_correct`). `vm up` and `vm port` say which port was used. Default false.","type":"boolean"}}}};
const schema18 = {"type":"integer","minimum":1,"maximum":65535,"x-expected":"a port number from 1 to 65535"};

function validate44(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(!(((typeof data == "number") && (!(data % 1) && !isNaN(data))) && (isFinite(data)))){
const err0 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema18.type,parentSchema:schema18,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if((typeof data == "number") && (isFinite(data))){
if(data > 65535 || isNaN(data)){
const err1 = {instancePath,schemaPath:"#/maximum",keyword:"maximum",params:{comparison: "<=", limit: 65535},message:"must be <= 65535",schema:65535,parentSchema:schema18,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
if(data < 1 || isNaN(data)){
const err2 = {instancePath,schemaPath:"#/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema18,data};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
validate44.errors = vErrors;
return errors === 0;
}


function validate43(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(Array.isArray(data)){
const len0 = data.length;
for(let i0=0; i0<len0; i0++){
let data0 = data[i0];
if(data0 && typeof data0 == "object" && !Array.isArray(data0)){
if(data0.guest === undefined){
const err0 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/required",keyword:"required",params:{missingProperty: "guest"},message:"must have required property '"+"guest"+"'",schema:schema17.items.required,parentSchema:schema17.items,data:data0};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(data0.host === undefined){
const err1 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/required",keyword:"required",params:{missingProperty: "host"},message:"must have required property '"+"host"+"'",schema:schema17.items.required,parentSchema:schema17.items,data:data0};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
for(const key0 in data0){
if(!(((((key0 === "guest") || (key0 === "host")) || (key0 === "host_ip")) || (key0 === "protocol")) || (key0 === "auto_correct"))){
const err2 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema17.items,data:data0};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data0.guest !== undefined){
if(!(validate44(data0.guest, {instancePath:instancePath+"/" + i0+"/guest",parentData:data0,parentDataProperty:"guest",rootData}))){
vErrors = vErrors === null ? validate44.errors : vErrors.concat(validate44.errors);
errors = vErrors.length;
}
}
if(data0.host !== undefined){
if(!(validate44(data0.host, {instancePath:instancePath+"/" + i0+"/host",parentData:data0,parentDataProperty:"host",rootData}))){
vErrors = vErrors === null ? validate44.errors : vErrors.concat(validate44.errors);
errors = vErrors.length;
}
}
if(data0.host_ip !== undefined){
let data3 = data0.host_ip;
if(typeof data3 !== "string"){
const err3 = {instancePath:instancePath+"/" + i0+"/host_ip",schemaPath:"#/items/properties/host_ip/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema17.items.properties.host_ip.type,parentSchema:schema17.items.properties.host_ip,data:data3};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data0.protocol !== undefined){
let data4 = data0.protocol;
if(!((data4 === "tcp") || (data4 === "udp"))){
const err4 = {instancePath:instancePath+"/" + i0+"/protocol",schemaPath:"#/items/properties/protocol/enum",keyword:"enum",params:{allowedValues: schema17.items.properties.protocol.enum},message:"must be equal to one of the allowed values",schema:schema17.items.properties.protocol.enum,parentSchema:schema17.items.properties.protocol,data:data4};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data0.auto_correct !== undefined){
let data5 = data0.auto_correct;
if(typeof data5 !== "boolean"){
const err5 = {instancePath:instancePath+"/" + i0+"/auto_correct",schemaPath:"#/items/properties/auto_correct/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema17.items.properties.auto_correct.type,parentSchema:schema17.items.properties.auto_correct,data:data5};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
}
else {
const err6 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema17.items.type,parentSchema:schema17.items,data:data0};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
}
else {
const err7 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema17.type,parentSchema:schema17,data};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
validate43.errors = vErrors;
return errors === 0;
}

const schema19 = {"description":"Forward each TCP port the guest listens on to the same port on the host's 127.0.0.1, while it listens and when that host port is free (as Lima does): a server started after `vm up` is reachable at once. Ports in `forwards:` keep their own forward. The connections go through the guest agent (`nc` in the guest). `vm port` lists them. Default false.","type":"boolean"};

function validate48(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(typeof data !== "boolean"){
const err0 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema19.type,parentSchema:schema19,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
validate48.errors = vErrors;
return errors === 0;
}

const schema20 = {"description":"Builtin engine only: the first `vm up` of a machine of this shape (box, memory, cpus, disk size, network cards, synced folders, extra disks) saves the booted guest as a warm image once its agent answers, and later `vm up`s of new machines of the same shape (after `vm destroy`, or a second machine from the same box) resume from it instead of booting the kernel. Each resumed machine gets its own hostname, MAC address, random seed, SSH host key, synced folders and disk overlay through the guest agent. Machines on private networks always boot cold. Default false.","type":"boolean"};

function validate50(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(typeof data !== "boolean"){
const err0 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema20.type,parentSchema:schema20,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
validate50.errors = vErrors;
return errors === 0;
}

const schema21 = {"description":"Host folders shared into the guest over 9p (virtio-9p).","type":"array","items":{"description":"One shared folder.","type":"object","additionalProperties":false,"required":["host","guest"],"properties":{"host":{"description":"Host folder, relative to the Vmfile's folder (`.` is the project itself) or absolute; `~/` means the home folder. It must exist.","type":"string","pattern":"\\S","x-expected":"a host folder path"},"guest":{"description":"Absolute path where the guest mounts the folder, without spaces or `:` (the box's init reads mounts from the kernel command line).","$ref":"#/definitions/guestPath"},"read_only":{"description":"Mount read-only in the guest. Default false.","type":"boolean"},"tag":{"description":"9p mount tag, unique within the machine. Default: the guest path made into a tag (`/vagrant` -> `vagrant`).","type":"string","pattern":"^[A-Za-z0-9_.-]{1,31}$","x-expected":"a tag of at most 31 letters, digits, `_`, `.` or `-`"}}}};
const pattern12 = new RegExp("\\S", "u");
const pattern14 = new RegExp("^[A-Za-z0-9_.-]{1,31}$", "u");
const schema22 = {"type":"string","pattern":"^/[^\\u0000]*$","x-expected":"an absolute guest path starting with /"};
const pattern13 = new RegExp("^/[^\\u0000]*$", "u");

function validate53(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(typeof data === "string"){
if(!pattern13.test(data)){
const err0 = {instancePath,schemaPath:"#/pattern",keyword:"pattern",params:{pattern: "^/[^\\u0000]*$"},message:"must match pattern \""+"^/[^\\u0000]*$"+"\"",schema:"^/[^\\u0000]*$",parentSchema:schema22,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
else {
const err1 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema22.type,parentSchema:schema22,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
validate53.errors = vErrors;
return errors === 0;
}


function validate52(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(Array.isArray(data)){
const len0 = data.length;
for(let i0=0; i0<len0; i0++){
let data0 = data[i0];
if(data0 && typeof data0 == "object" && !Array.isArray(data0)){
if(data0.host === undefined){
const err0 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/required",keyword:"required",params:{missingProperty: "host"},message:"must have required property '"+"host"+"'",schema:schema21.items.required,parentSchema:schema21.items,data:data0};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(data0.guest === undefined){
const err1 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/required",keyword:"required",params:{missingProperty: "guest"},message:"must have required property '"+"guest"+"'",schema:schema21.items.required,parentSchema:schema21.items,data:data0};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
for(const key0 in data0){
if(!((((key0 === "host") || (key0 === "guest")) || (key0 === "read_only")) || (key0 === "tag"))){
const err2 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema21.items,data:data0};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data0.host !== undefined){
let data1 = data0.host;
if(typeof data1 === "string"){
if(!pattern12.test(data1)){
const err3 = {instancePath:instancePath+"/" + i0+"/host",schemaPath:"#/items/properties/host/pattern",keyword:"pattern",params:{pattern: "\\S"},message:"must match pattern \""+"\\S"+"\"",schema:"\\S",parentSchema:schema21.items.properties.host,data:data1};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
else {
const err4 = {instancePath:instancePath+"/" + i0+"/host",schemaPath:"#/items/properties/host/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema21.items.properties.host.type,parentSchema:schema21.items.properties.host,data:data1};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data0.guest !== undefined){
if(!(validate53(data0.guest, {instancePath:instancePath+"/" + i0+"/guest",parentData:data0,parentDataProperty:"guest",rootData}))){
vErrors = vErrors === null ? validate53.errors : vErrors.concat(validate53.errors);
errors = vErrors.length;
}
}
if(data0.read_only !== undefined){
let data3 = data0.read_only;
if(typeof data3 !== "boolean"){
const err5 = {instancePath:instancePath+"/" + i0+"/read_only",schemaPath:"#/items/properties/read_only/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema21.items.properties.read_only.type,parentSchema:schema21.items.properties.read_only,data:data3};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data0.tag !== undefined){
let data4 = data0.tag;
if(typeof data4 === "string"){
if(!pattern14.test(data4)){
const err6 = {instancePath:instancePath+"/" + i0+"/tag",schemaPath:"#/items/properties/tag/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9_.-]{1,31}$"},message:"must match pattern \""+"^[A-Za-z0-9_.-]{1,31}$"+"\"",schema:"^[A-Za-z0-9_.-]{1,31}$",parentSchema:schema21.items.properties.tag,data:data4};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
else {
const err7 = {instancePath:instancePath+"/" + i0+"/tag",schemaPath:"#/items/properties/tag/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema21.items.properties.tag.type,parentSchema:schema21.items.properties.tag,data:data4};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
}
else {
const err8 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema21.items.type,parentSchema:schema21.items,data:data0};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
}
else {
const err9 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema21.type,parentSchema:schema21,data};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
validate52.errors = vErrors;
return errors === 0;
}

const schema23 = {"description":"Provisioners, run in order on the first `vm up` (and by `vm provision`): `shell` runs a script in the guest, `file` copies a host file into it.","type":"array","items":{"description":"One provisioner: `{type: shell, inline|path, ...}` or `{type: file, source, destination}`.","type":"object","discriminator":{"propertyName":"type"},"required":["type"],"oneOf":[{"description":"Runs a shell script in the guest as root.","additionalProperties":false,"properties":{"type":{"description":"`shell`: run a script in the guest.","const":"shell"},"name":{"$ref":"#/definitions/provisionerName"},"inline":{"description":"The script itself (use a `|` block for several lines). Give either inline or path.","type":"string"},"path":{"description":"A script file on the host, relative to the Vmfile's folder or absolute; it is read when the Vmfile is loaded. Give either inline or path.","type":"string","pattern":"\\S","x-expected":"a host file path"},"args":{"description":"Arguments passed to the script ($1, $2 ...), each exactly as written: nothing is split or expanded by a shell on the host.","type":"array","items":{"description":"One argument.","type":["string","number","boolean"]}},"env":{"description":"Environment variables for this script, on top of the machine's `env`.","$ref":"#/definitions/envMap"},"run":{"$ref":"#/definitions/provisionRun"}}},{"description":"Copies a file from the host into the guest.","additionalProperties":false,"required":["source","destination"],"properties":{"type":{"description":"`file`: copy a host file into the guest.","const":"file"},"name":{"$ref":"#/definitions/provisionerName"},"source":{"description":"Host file, relative to the Vmfile's folder or absolute. It must exist.","type":"string","pattern":"\\S","x-expected":"a host file path"},"destination":{"description":"Absolute path of the file in the guest.","$ref":"#/definitions/guestPath"},"run":{"$ref":"#/definitions/provisionRun"}}}]}};
const schema24 = {"description":"Name shown in the output and used by `vm provision --name`; unique within the machine. Default: `shell-N` or `file-N` from its position.","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$","x-expected":"a name made of letters, digits, spaces, `.`, `-` and `_`"};
const pattern15 = new RegExp("^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$", "u");

function validate57(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(typeof data === "string"){
if(!pattern15.test(data)){
const err0 = {instancePath,schemaPath:"#/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$"+"\"",schema:"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$",parentSchema:schema24,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
else {
const err1 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema24.type,parentSchema:schema24,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
validate57.errors = vErrors;
return errors === 0;
}

const schema25 = {"type":"object","x-expected":"a mapping of variable names to values","propertyNames":{"description":"A variable name: letters, digits and `_`, not starting with a digit.","pattern":"^[A-Za-z_][A-Za-z0-9_]*$","x-expected":"an environment variable name (letters, digits and `_`, not starting with a digit)"},"additionalProperties":{"description":"The variable's value, passed as is (numbers and booleans are turned into text).","type":["string","number","boolean"],"x-expected":"a string, number or boolean"}};
const pattern17 = new RegExp("^[A-Za-z_][A-Za-z0-9_]*$", "u");

function validate59(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
const _errs2 = errors;
if(typeof key0 === "string"){
if(!pattern17.test(key0)){
const err0 = {instancePath,schemaPath:"#/propertyNames/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z_][A-Za-z0-9_]*$"},message:"must match pattern \""+"^[A-Za-z_][A-Za-z0-9_]*$"+"\"",schema:"^[A-Za-z_][A-Za-z0-9_]*$",parentSchema:schema25.propertyNames,data:key0,propertyName:key0};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
var valid0 = _errs2 === errors;
if(!valid0){
const err1 = {instancePath,schemaPath:"#/propertyNames",keyword:"propertyNames",params:{propertyName: key0},message:"property name must be valid",schema:schema25.propertyNames,parentSchema:schema25,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
for(const key1 in data){
let data0 = data[key1];
if(((typeof data0 !== "string") && (!((typeof data0 == "number") && (isFinite(data0))))) && (typeof data0 !== "boolean")){
const err2 = {instancePath:instancePath+"/" + key1.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/additionalProperties/type",keyword:"type",params:{type: schema25.additionalProperties.type},message:"must be string,number,boolean",schema:schema25.additionalProperties.type,parentSchema:schema25.additionalProperties,data:data0};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
}
else {
const err3 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema25.type,parentSchema:schema25,data};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
validate59.errors = vErrors;
return errors === 0;
}

const schema26 = {"description":"When it runs: `once` (the default: on the first `vm up`, and on `vm provision`), `always` (on every `vm up`), `never` (only when asked for by name with `vm provision --name`).","enum":["once","always","never"]};

function validate61(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(!(((data === "once") || (data === "always")) || (data === "never"))){
const err0 = {instancePath,schemaPath:"#/enum",keyword:"enum",params:{allowedValues: schema26.enum},message:"must be equal to one of the allowed values",schema:schema26.enum,parentSchema:schema26,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
validate61.errors = vErrors;
return errors === 0;
}


function validate56(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(Array.isArray(data)){
const len0 = data.length;
for(let i0=0; i0<len0; i0++){
let data0 = data[i0];
if(data0 && typeof data0 == "object" && !Array.isArray(data0)){
if(data0.type === undefined){
const err0 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/required",keyword:"required",params:{missingProperty: "type"},message:"must have required property '"+"type"+"'",schema:schema23.items.required,parentSchema:schema23.items,data:data0};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
const tag0 = data0.type;
if(typeof tag0 == "string"){
if(tag0 === "shell"){
if(data0 && typeof data0 == "object" && !Array.isArray(data0)){
for(const key0 in data0){
if(!(((((((key0 === "type") || (key0 === "name")) || (key0 === "inline")) || (key0 === "path")) || (key0 === "args")) || (key0 === "env")) || (key0 === "run"))){
const err1 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/oneOf/0/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema23.items.oneOf[0],data:data0};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data0.type !== undefined){
let data1 = data0.type;
if("shell" !== data1){
const err2 = {instancePath:instancePath+"/" + i0+"/type",schemaPath:"#/items/oneOf/0/properties/type/const",keyword:"const",params:{allowedValue: "shell"},message:"must be equal to constant",schema:"shell",parentSchema:schema23.items.oneOf[0].properties.type,data:data1};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data0.name !== undefined){
if(!(validate57(data0.name, {instancePath:instancePath+"/" + i0+"/name",parentData:data0,parentDataProperty:"name",rootData}))){
vErrors = vErrors === null ? validate57.errors : vErrors.concat(validate57.errors);
errors = vErrors.length;
}
}
if(data0.inline !== undefined){
let data3 = data0.inline;
if(typeof data3 !== "string"){
const err3 = {instancePath:instancePath+"/" + i0+"/inline",schemaPath:"#/items/oneOf/0/properties/inline/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema23.items.oneOf[0].properties.inline.type,parentSchema:schema23.items.oneOf[0].properties.inline,data:data3};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data0.path !== undefined){
let data4 = data0.path;
if(typeof data4 === "string"){
if(!pattern12.test(data4)){
const err4 = {instancePath:instancePath+"/" + i0+"/path",schemaPath:"#/items/oneOf/0/properties/path/pattern",keyword:"pattern",params:{pattern: "\\S"},message:"must match pattern \""+"\\S"+"\"",schema:"\\S",parentSchema:schema23.items.oneOf[0].properties.path,data:data4};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
else {
const err5 = {instancePath:instancePath+"/" + i0+"/path",schemaPath:"#/items/oneOf/0/properties/path/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema23.items.oneOf[0].properties.path.type,parentSchema:schema23.items.oneOf[0].properties.path,data:data4};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data0.args !== undefined){
let data5 = data0.args;
if(Array.isArray(data5)){
const len1 = data5.length;
for(let i1=0; i1<len1; i1++){
let data6 = data5[i1];
if(((typeof data6 !== "string") && (!((typeof data6 == "number") && (isFinite(data6))))) && (typeof data6 !== "boolean")){
const err6 = {instancePath:instancePath+"/" + i0+"/args/" + i1,schemaPath:"#/items/oneOf/0/properties/args/items/type",keyword:"type",params:{type: schema23.items.oneOf[0].properties.args.items.type},message:"must be string,number,boolean",schema:schema23.items.oneOf[0].properties.args.items.type,parentSchema:schema23.items.oneOf[0].properties.args.items,data:data6};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
}
else {
const err7 = {instancePath:instancePath+"/" + i0+"/args",schemaPath:"#/items/oneOf/0/properties/args/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema23.items.oneOf[0].properties.args.type,parentSchema:schema23.items.oneOf[0].properties.args,data:data5};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data0.env !== undefined){
if(!(validate59(data0.env, {instancePath:instancePath+"/" + i0+"/env",parentData:data0,parentDataProperty:"env",rootData}))){
vErrors = vErrors === null ? validate59.errors : vErrors.concat(validate59.errors);
errors = vErrors.length;
}
}
if(data0.run !== undefined){
if(!(validate61(data0.run, {instancePath:instancePath+"/" + i0+"/run",parentData:data0,parentDataProperty:"run",rootData}))){
vErrors = vErrors === null ? validate61.errors : vErrors.concat(validate61.errors);
errors = vErrors.length;
}
}
}
}
else if(tag0 === "file"){
if(data0 && typeof data0 == "object" && !Array.isArray(data0)){
if(data0.source === undefined){
const err8 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/oneOf/1/required",keyword:"required",params:{missingProperty: "source"},message:"must have required property '"+"source"+"'",schema:schema23.items.oneOf[1].required,parentSchema:schema23.items.oneOf[1],data:data0};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
if(data0.destination === undefined){
const err9 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/oneOf/1/required",keyword:"required",params:{missingProperty: "destination"},message:"must have required property '"+"destination"+"'",schema:schema23.items.oneOf[1].required,parentSchema:schema23.items.oneOf[1],data:data0};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
for(const key1 in data0){
if(!(((((key1 === "type") || (key1 === "name")) || (key1 === "source")) || (key1 === "destination")) || (key1 === "run"))){
const err10 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/oneOf/1/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties",schema:false,parentSchema:schema23.items.oneOf[1],data:data0};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data0.type !== undefined){
let data9 = data0.type;
if("file" !== data9){
const err11 = {instancePath:instancePath+"/" + i0+"/type",schemaPath:"#/items/oneOf/1/properties/type/const",keyword:"const",params:{allowedValue: "file"},message:"must be equal to constant",schema:"file",parentSchema:schema23.items.oneOf[1].properties.type,data:data9};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
if(data0.name !== undefined){
if(!(validate57(data0.name, {instancePath:instancePath+"/" + i0+"/name",parentData:data0,parentDataProperty:"name",rootData}))){
vErrors = vErrors === null ? validate57.errors : vErrors.concat(validate57.errors);
errors = vErrors.length;
}
}
if(data0.source !== undefined){
let data11 = data0.source;
if(typeof data11 === "string"){
if(!pattern12.test(data11)){
const err12 = {instancePath:instancePath+"/" + i0+"/source",schemaPath:"#/items/oneOf/1/properties/source/pattern",keyword:"pattern",params:{pattern: "\\S"},message:"must match pattern \""+"\\S"+"\"",schema:"\\S",parentSchema:schema23.items.oneOf[1].properties.source,data:data11};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
else {
const err13 = {instancePath:instancePath+"/" + i0+"/source",schemaPath:"#/items/oneOf/1/properties/source/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema23.items.oneOf[1].properties.source.type,parentSchema:schema23.items.oneOf[1].properties.source,data:data11};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
if(data0.destination !== undefined){
if(!(validate53(data0.destination, {instancePath:instancePath+"/" + i0+"/destination",parentData:data0,parentDataProperty:"destination",rootData}))){
vErrors = vErrors === null ? validate53.errors : vErrors.concat(validate53.errors);
errors = vErrors.length;
}
}
if(data0.run !== undefined){
if(!(validate61(data0.run, {instancePath:instancePath+"/" + i0+"/run",parentData:data0,parentDataProperty:"run",rootData}))){
vErrors = vErrors === null ? validate61.errors : vErrors.concat(validate61.errors);
errors = vErrors.length;
}
}
}
}
else {
const err14 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/discriminator",keyword:"discriminator",params:{error: "mapping", tag: "type", tagValue: tag0},message:"value of tag \"type\" must be in oneOf",schema:schema23.items.discriminator,parentSchema:schema23.items,data:data0};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
else {
const err15 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/discriminator",keyword:"discriminator",params:{error: "tag", tag: "type", tagValue: tag0},message:"tag \"type\" must be string",schema:schema23.items.discriminator,parentSchema:schema23.items,data:data0};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
else {
const err16 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema23.items.type,parentSchema:schema23.items,data:data0};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
}
else {
const err17 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema23.type,parentSchema:schema23,data};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
validate56.errors = vErrors;
return errors === 0;
}

const schema27 = {"description":"The guest's hostname. Default: the machine name made into a valid hostname.","type":"string","pattern":"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$","x-expected":"a hostname: letters, digits and `-` in dot-separated labels of at most 63 characters"};
const pattern19 = new RegExp("^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$", "u");

function validate67(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(typeof data === "string"){
if(!pattern19.test(data)){
const err0 = {instancePath,schemaPath:"#/pattern",keyword:"pattern",params:{pattern: "^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"},message:"must match pattern \""+"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"+"\"",schema:"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$",parentSchema:schema27,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
else {
const err1 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema27.type,parentSchema:schema27,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
validate67.errors = vErrors;
return errors === 0;
}


function validate69(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
const _errs2 = errors;
if(typeof key0 === "string"){
if(!pattern17.test(key0)){
const err0 = {instancePath,schemaPath:"#/propertyNames/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z_][A-Za-z0-9_]*$"},message:"must match pattern \""+"^[A-Za-z_][A-Za-z0-9_]*$"+"\"",schema:"^[A-Za-z_][A-Za-z0-9_]*$",parentSchema:schema25.propertyNames,data:key0,propertyName:key0};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
var valid0 = _errs2 === errors;
if(!valid0){
const err1 = {instancePath,schemaPath:"#/propertyNames",keyword:"propertyNames",params:{propertyName: key0},message:"property name must be valid",schema:schema25.propertyNames,parentSchema:schema25,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
for(const key1 in data){
let data0 = data[key1];
if(((typeof data0 !== "string") && (!((typeof data0 == "number") && (isFinite(data0))))) && (typeof data0 !== "boolean")){
const err2 = {instancePath:instancePath+"/" + key1.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/additionalProperties/type",keyword:"type",params:{type: schema25.additionalProperties.type},message:"must be string,number,boolean",schema:schema25.additionalProperties.type,parentSchema:schema25.additionalProperties,data:data0};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
}
else {
const err3 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema25.type,parentSchema:schema25,data};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
validate69.errors = vErrors;
return errors === 0;
}

const schema29 = {"description":"Additions to the kernel command line, appended after the box's own (a string, or a list of parameters).","type":["string","array"],"pattern":"^[^\\u0000-\\u001f]*$","x-expected":"kernel parameters on one line","items":{"description":"One kernel parameter, such as `loglevel=7`.","type":"string","pattern":"^[^\\u0000-\\u001f]*$","x-expected":"a kernel parameter without control characters"}};
const pattern21 = new RegExp("^[^\\u0000-\\u001f]*$", "u");

function validate71(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if((typeof data !== "string") && (!(Array.isArray(data)))){
const err0 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: schema29.type},message:"must be string,array",schema:schema29.type,parentSchema:schema29,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(typeof data === "string"){
if(!pattern21.test(data)){
const err1 = {instancePath,schemaPath:"#/pattern",keyword:"pattern",params:{pattern: "^[^\\u0000-\\u001f]*$"},message:"must match pattern \""+"^[^\\u0000-\\u001f]*$"+"\"",schema:"^[^\\u0000-\\u001f]*$",parentSchema:schema29,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(Array.isArray(data)){
const len0 = data.length;
for(let i0=0; i0<len0; i0++){
let data0 = data[i0];
if(typeof data0 === "string"){
if(!pattern21.test(data0)){
const err2 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/pattern",keyword:"pattern",params:{pattern: "^[^\\u0000-\\u001f]*$"},message:"must match pattern \""+"^[^\\u0000-\\u001f]*$"+"\"",schema:"^[^\\u0000-\\u001f]*$",parentSchema:schema29.items,data:data0};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
else {
const err3 = {instancePath:instancePath+"/" + i0,schemaPath:"#/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema29.items.type,parentSchema:schema29.items,data:data0};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
}
validate71.errors = vErrors;
return errors === 0;
}

const schema30 = {"description":"How long `vm up` waits for the guest to be ready: `120s`, `2m`, `1m30s`, `1h` or a number of seconds. Default 120s.","type":["string","integer"],"pattern":"^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$","x-expected":"a duration such as 120s, 2m, 1m30s or a number of seconds"};
const pattern23 = new RegExp("^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$", "u");

function validate73(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if((typeof data !== "string") && (!(((typeof data == "number") && (!(data % 1) && !isNaN(data))) && (isFinite(data))))){
const err0 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: schema30.type},message:"must be string,integer",schema:schema30.type,parentSchema:schema30,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(typeof data === "string"){
if(!pattern23.test(data)){
const err1 = {instancePath,schemaPath:"#/pattern",keyword:"pattern",params:{pattern: "^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$"},message:"must match pattern \""+"^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$"+"\"",schema:"^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$",parentSchema:schema30,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
validate73.errors = vErrors;
return errors === 0;
}

const schema31 = {"description":"How `vm up` knows the machine's service is ready, after provisioning: `{tcp: PORT}` waits until a program in the guest listens on that TCP port, `{command: \"...\"}` until the command (run with `sh -c` in the guest) exits 0. Machines that `depends_on` this one wait for it.","type":"object","x-expected":"`{tcp: PORT}` or `{command: \"...\"}`, with an optional `timeout`","additionalProperties":false,"properties":{"tcp":{"description":"A TCP port in the guest: ready once something listens on it.","$ref":"#/definitions/port"},"command":{"description":"A shell command run in the guest every second: ready once it exits 0.","type":"string","pattern":"\\S","x-expected":"a shell command"},"timeout":{"description":"How long to wait for readiness before `vm up` fails: `60s`, `2m` or a number of seconds. Default 60s.","type":["string","integer"],"pattern":"^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$","x-expected":"a duration such as 60s, 2m or a number of seconds"}}};

function validate75(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!(((key0 === "tcp") || (key0 === "command")) || (key0 === "timeout"))){
const err0 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema31,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
if(data.tcp !== undefined){
if(!(validate44(data.tcp, {instancePath:instancePath+"/tcp",parentData:data,parentDataProperty:"tcp",rootData}))){
vErrors = vErrors === null ? validate44.errors : vErrors.concat(validate44.errors);
errors = vErrors.length;
}
}
if(data.command !== undefined){
let data1 = data.command;
if(typeof data1 === "string"){
if(!pattern12.test(data1)){
const err1 = {instancePath:instancePath+"/command",schemaPath:"#/properties/command/pattern",keyword:"pattern",params:{pattern: "\\S"},message:"must match pattern \""+"\\S"+"\"",schema:"\\S",parentSchema:schema31.properties.command,data:data1};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
else {
const err2 = {instancePath:instancePath+"/command",schemaPath:"#/properties/command/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema31.properties.command.type,parentSchema:schema31.properties.command,data:data1};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data.timeout !== undefined){
let data2 = data.timeout;
if((typeof data2 !== "string") && (!(((typeof data2 == "number") && (!(data2 % 1) && !isNaN(data2))) && (isFinite(data2))))){
const err3 = {instancePath:instancePath+"/timeout",schemaPath:"#/properties/timeout/type",keyword:"type",params:{type: schema31.properties.timeout.type},message:"must be string,integer",schema:schema31.properties.timeout.type,parentSchema:schema31.properties.timeout,data:data2};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
if(typeof data2 === "string"){
if(!pattern23.test(data2)){
const err4 = {instancePath:instancePath+"/timeout",schemaPath:"#/properties/timeout/pattern",keyword:"pattern",params:{pattern: "^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$"},message:"must match pattern \""+"^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$"+"\"",schema:"^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$",parentSchema:schema31.properties.timeout,data:data2};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
}
}
else {
const err5 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema31.type,parentSchema:schema31,data};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
validate75.errors = vErrors;
return errors === 0;
}

const schema32 = {"description":"Settings of `engine: libvirt`. The machine becomes a libvirt domain managed through `virsh`.","type":"object","additionalProperties":false,"properties":{"uri":{"description":"The libvirt connection URI: `qemu:///system` (the default; `$VM_LIBVIRT_URI` overrides the default), or a remote hypervisor host such as `qemu+ssh://user@host/system`.","type":"string","pattern":"^[A-Za-z][A-Za-z0-9+.-]*://[^\\s]*$","x-expected":"a libvirt URI such as qemu:///system or qemu+ssh://user@host/system"},"pool":{"description":"The storage pool holding box images (uploaded once) and each machine's overlay volumes. Default `vm` (a directory pool created on first use under /var/lib/libvirt/vm).","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$","x-expected":"a pool name made of letters, digits, `-`, `_` and `.`"}}};
const pattern26 = new RegExp("^[A-Za-z][A-Za-z0-9+.-]*://[^\\s]*$", "u");
const pattern27 = new RegExp("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$", "u");

function validate78(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!((key0 === "uri") || (key0 === "pool"))){
const err0 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema32,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
if(data.uri !== undefined){
let data0 = data.uri;
if(typeof data0 === "string"){
if(!pattern26.test(data0)){
const err1 = {instancePath:instancePath+"/uri",schemaPath:"#/properties/uri/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z][A-Za-z0-9+.-]*://[^\\s]*$"},message:"must match pattern \""+"^[A-Za-z][A-Za-z0-9+.-]*://[^\\s]*$"+"\"",schema:"^[A-Za-z][A-Za-z0-9+.-]*://[^\\s]*$",parentSchema:schema32.properties.uri,data:data0};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
else {
const err2 = {instancePath:instancePath+"/uri",schemaPath:"#/properties/uri/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema32.properties.uri.type,parentSchema:schema32.properties.uri,data:data0};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data.pool !== undefined){
let data1 = data.pool;
if(typeof data1 === "string"){
if(!pattern27.test(data1)){
const err3 = {instancePath:instancePath+"/pool",schemaPath:"#/properties/pool/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"+"\"",schema:"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$",parentSchema:schema32.properties.pool,data:data1};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
else {
const err4 = {instancePath:instancePath+"/pool",schemaPath:"#/properties/pool/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema32.properties.pool.type,parentSchema:schema32.properties.pool,data:data1};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
}
else {
const err5 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema32.type,parentSchema:schema32,data};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
validate78.errors = vErrors;
return errors === 0;
}

const schema33 = {"description":"One machine's settings (an empty entry takes everything from `defaults:`).","type":["object","null"],"additionalProperties":false,"properties":{"box":{"description":"The box the machine boots: a name (`tiny`), or `{name, version}` where version is a constraint such as `1.2.0`, `>=1.0`, `<2`, `~1.2`, `^1.2`, `1.2.*` or several parts (`>=1.0 <2`). See `vm box list`.","type":["string","object"],"pattern":"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$","x-expected":"a box name made of letters, digits, `.`, `-` and `_` (see `vm box list`)","additionalProperties":false,"required":["name"],"properties":{"name":{"description":"The box name, as shown by `vm box list`.","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$","x-expected":"a box name made of letters, digits, `.`, `-` and `_` (see `vm box list`)"},"version":{"description":"Which versions of the box are acceptable; the highest installed version that satisfies all of its parts is used. Examples: `0.1.0`, `>=1.0`, `<2`, `~1.2`, `^1.2`, `1.2.*`, `>=1.0 <2` (parts separated by spaces or commas).","type":"string","pattern":"^\\s*(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?(?:(?:\\s+(?:,\\s*)?|,\\s*)(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?){0,7}\\s*$","x-expected":"a version constraint such as `1.2.0`, `>=1.0`, `<2`, `~1.2`, `^1.2`, `1.2.*` or `>=1.0 <2`"},"url":{"description":"Where to get the box when it is not installed: the URL of a `.box` archive (http, https or file). `vm up` downloads it once into the box store under `name` (like Vagrant's `box_url`, Lima's image `location`); every file is still checked against its box.json.","type":"string","pattern":"^(?:[Hh][Tt][Tt][Pp][Ss]?|[Ff][Ii][Ll][Ee])://\\S+$","x-expected":"an http://, https:// or file:// URL of a .box archive"},"checksum":{"description":"The sha256 of the archive at `url` (`sha256:HEX` or HEX, like Lima's image `digest`): a download that does not match is refused and nothing is stored.","type":"string","pattern":"^(?:sha256:)?[0-9a-fA-F]{64}$","x-expected":"a sha256 checksum: 64 hex digits, optionally prefixed with `sha256:`"}}},"engine":{"description":"What runs the machine: `builtin` (vm's own RISC-V emulator, needs nothing installed), `qemu` (qemu-system-*, with KVM when the box matches the host), `libvirt` (a libvirt domain on this host or a remote hypervisor host, see `libvirt:`; the box must boot on qemu), or `auto` (the default: builtin when the box supports it, otherwise qemu).","enum":["auto","builtin","qemu","libvirt"]},"accel":{"description":"qemu acceleration: `kvm` (hardware, box architecture must match the host), `tcg` (pure emulation) or `auto` (the default: kvm when usable). The builtin engine ignores it.","enum":["auto","kvm","tcg"]},"cpus":{"description":"Number of virtual CPUs (harts). Default 1.","type":"integer","minimum":1,"maximum":64,"x-expected":"a whole number of CPUs from 1 to 64"},"memory":{"description":"Guest RAM: a size such as `512M`, `2G`, `1.5GiB` (K, M, G and T are powers of 1024; a trailing `B` or `iB` is allowed) or a number of bytes, a whole number of MiB. The builtin engine gives just under 4G (its RAM shares one wasm32 memory; `vm validate` says the exact limit); qemu has no such limit. Default 512M.","$ref":"#/definitions/size"},"disk_size":{"description":"Size of the root disk the guest sees, such as `20G` (powers of 1024) or a number of bytes (a multiple of 512): the box's root image on a larger disk, like a cloud image's. At least the size of the box's image (`vm validate` says both). Boxes that grow their root file system at boot fill it (debian-13 does; the tiny box leaves the extra space unused, see boxes/tiny/README.md). A larger size on an existing machine grows its disk at the next `vm up` or `vm reload` on qemu; the builtin and libvirt engines size it when the machine is created (`vm destroy`, then `vm up`). Disks never shrink. Default: the image's size.","$ref":"#/definitions/size"},"disks":{"description":"Extra disks, attached after the box's root disk, each a sparse raw image created in the machine's state folder on first `vm up`.","type":"array","items":{"description":"One extra disk.","type":"object","additionalProperties":false,"required":["name","size"],"properties":{"name":{"description":"Disk name, unique within the machine: letters, digits, `-` and `_`. Names the image file `.vm/machines/MACHINE/disks/NAME.raw`.","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$","x-expected":"a disk name made of letters, digits, `-` and `_` (starting with a letter or digit)"},"size":{"description":"Disk size, such as `10G` or `512M` (powers of 1024), or a number of bytes (a multiple of 512).","$ref":"#/definitions/size"}}}},"nics":{"description":"Network cards, in order. Default: one `nat` card (user-mode networking with outbound access; forwards go through it). Listing nics replaces the default, so keep a `nat` entry if the machine needs the internet or forwards.","type":"array","items":{"description":"One network card: `{type: nat}` or `{type: private, network: NAME}`.","type":"object","discriminator":{"propertyName":"type"},"required":["type"],"oneOf":[{"description":"User-mode NAT: outbound access to the host's networks; the guest gets its address by DHCP.","additionalProperties":false,"properties":{"type":{"description":"`nat`: user-mode networking.","const":"nat"},"mac":{"$ref":"#/definitions/mac"}}},{"description":"A private network shared by the machines (of any project on this host) that name the same network.","additionalProperties":false,"required":["network"],"properties":{"type":{"description":"`private`: a network between machines, not routed to the outside.","const":"private"},"network":{"description":"Network name; machines naming the same network can reach each other.","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$","x-expected":"a network name made of letters, digits, `-` and `_` (starting with a letter or digit)"},"ip":{"description":"Static IPv4 address of this card on the private network, such as `192.168.56.10`. Without it the guest configures the card itself.","type":"string","pattern":"^[0-9]{1,3}(\\.[0-9]{1,3}){3}$","x-expected":"an IPv4 address such as 192.168.56.10"},"mac":{"$ref":"#/definitions/mac"}}}]}},"forwards":{"description":"Ports on the host forwarded to ports in the guest (through the `nat` card).","type":"array","items":{"description":"One port forward.","type":"object","additionalProperties":false,"required":["guest","host"],"properties":{"guest":{"description":"Port in the guest.","$ref":"#/definitions/port"},"host":{"description":"Port on the host. Must be unique (per address and protocol) across all machines of the Vmfile.","$ref":"#/definitions/port"},"host_ip":{"description":"Host address to listen on. Default `127.0.0.1` (this host only); `0.0.0.0` exposes the port to every network the host is on.","type":"string","x-expected":"an IP address such as 127.0.0.1"},"protocol":{"description":"`tcp` (default) or `udp`.","enum":["tcp","udp"]},"auto_correct":{"description":"When the host port is taken at `vm up`, forward a free port the system picks instead of failing (as Vagrant's `auto_correct`). `vm up` and `vm port` say which port was used. Default false.","type":"boolean"}}}},"auto_forwards":{"description":"Forward each TCP port the guest listens on to the same port on the host's 127.0.0.1, while it listens and when that host port is free (as Lima does): a server started after `vm up` is reachable at once. Ports in `forwards:` keep their own forward. The connections go through the guest agent (`nc` in the guest). `vm port` lists them. Default false.","type":"boolean"},"warm_start":{"description":"Builtin engine only: the first `vm up` of a machine of this shape (box, memory, cpus, disk size, network cards, synced folders, extra disks) saves the booted guest as a warm image once its agent answers, and later `vm up`s of new machines of the same shape (after `vm destroy`, or a second machine from the same box) resume from it instead of booting the kernel. Each resumed machine gets its own hostname, MAC address, random seed, SSH host key, synced folders and disk overlay through the guest agent. Machines on private networks always boot cold. Default false.","type":"boolean"},"synced_folders":{"description":"Host folders shared into the guest over 9p (virtio-9p).","type":"array","items":{"description":"One shared folder.","type":"object","additionalProperties":false,"required":["host","guest"],"properties":{"host":{"description":"Host folder, relative to the Vmfile's folder (`.` is the project itself) or absolute; `~/` means the home folder. It must exist.","type":"string","pattern":"\\S","x-expected":"a host folder path"},"guest":{"description":"Absolute path where the guest mounts the folder, without spaces or `:` (the box's init reads mounts from the kernel command line).","$ref":"#/definitions/guestPath"},"read_only":{"description":"Mount read-only in the guest. Default false.","type":"boolean"},"tag":{"description":"9p mount tag, unique within the machine. Default: the guest path made into a tag (`/vagrant` -> `vagrant`).","type":"string","pattern":"^[A-Za-z0-9_.-]{1,31}$","x-expected":"a tag of at most 31 letters, digits, `_`, `.` or `-`"}}}},"provision":{"description":"Provisioners, run in order on the first `vm up` (and by `vm provision`): `shell` runs a script in the guest, `file` copies a host file into it.","type":"array","items":{"description":"One provisioner: `{type: shell, inline|path, ...}` or `{type: file, source, destination}`.","type":"object","discriminator":{"propertyName":"type"},"required":["type"],"oneOf":[{"description":"Runs a shell script in the guest as root.","additionalProperties":false,"properties":{"type":{"description":"`shell`: run a script in the guest.","const":"shell"},"name":{"$ref":"#/definitions/provisionerName"},"inline":{"description":"The script itself (use a `|` block for several lines). Give either inline or path.","type":"string"},"path":{"description":"A script file on the host, relative to the Vmfile's folder or absolute; it is read when the Vmfile is loaded. Give either inline or path.","type":"string","pattern":"\\S","x-expected":"a host file path"},"args":{"description":"Arguments passed to the script ($1, $2 ...), each exactly as written: nothing is split or expanded by a shell on the host.","type":"array","items":{"description":"One argument.","type":["string","number","boolean"]}},"env":{"description":"Environment variables for this script, on top of the machine's `env`.","$ref":"#/definitions/envMap"},"run":{"$ref":"#/definitions/provisionRun"}}},{"description":"Copies a file from the host into the guest.","additionalProperties":false,"required":["source","destination"],"properties":{"type":{"description":"`file`: copy a host file into the guest.","const":"file"},"name":{"$ref":"#/definitions/provisionerName"},"source":{"description":"Host file, relative to the Vmfile's folder or absolute. It must exist.","type":"string","pattern":"\\S","x-expected":"a host file path"},"destination":{"description":"Absolute path of the file in the guest.","$ref":"#/definitions/guestPath"},"run":{"$ref":"#/definitions/provisionRun"}}}]}},"hostname":{"description":"The guest's hostname. Default: the machine name made into a valid hostname.","type":"string","pattern":"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$","x-expected":"a hostname: letters, digits and `-` in dot-separated labels of at most 63 characters"},"env":{"description":"Environment variables set for every provisioner and every `vm ssh` session or command (`vm ssh -c`, `vm ssh NAME -- CMD`) in this machine.","$ref":"#/definitions/envMap"},"cmdline":{"description":"Additions to the kernel command line, appended after the box's own (a string, or a list of parameters).","type":["string","array"],"pattern":"^[^\\u0000-\\u001f]*$","x-expected":"kernel parameters on one line","items":{"description":"One kernel parameter, such as `loglevel=7`.","type":"string","pattern":"^[^\\u0000-\\u001f]*$","x-expected":"a kernel parameter without control characters"}},"boot_timeout":{"description":"How long `vm up` waits for the guest to be ready: `120s`, `2m`, `1m30s`, `1h` or a number of seconds. Default 120s.","type":["string","integer"],"pattern":"^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$","x-expected":"a duration such as 120s, 2m, 1m30s or a number of seconds"},"ready":{"description":"How `vm up` knows the machine's service is ready, after provisioning: `{tcp: PORT}` waits until a program in the guest listens on that TCP port, `{command: \"...\"}` until the command (run with `sh -c` in the guest) exits 0. Machines that `depends_on` this one wait for it.","type":"object","x-expected":"`{tcp: PORT}` or `{command: \"...\"}`, with an optional `timeout`","additionalProperties":false,"properties":{"tcp":{"description":"A TCP port in the guest: ready once something listens on it.","$ref":"#/definitions/port"},"command":{"description":"A shell command run in the guest every second: ready once it exits 0.","type":"string","pattern":"\\S","x-expected":"a shell command"},"timeout":{"description":"How long to wait for readiness before `vm up` fails: `60s`, `2m` or a number of seconds. Default 60s.","type":["string","integer"],"pattern":"^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$","x-expected":"a duration such as 60s, 2m or a number of seconds"}}},"libvirt":{"description":"Settings of `engine: libvirt`. The machine becomes a libvirt domain managed through `virsh`.","type":"object","additionalProperties":false,"properties":{"uri":{"description":"The libvirt connection URI: `qemu:///system` (the default; `$VM_LIBVIRT_URI` overrides the default), or a remote hypervisor host such as `qemu+ssh://user@host/system`.","type":"string","pattern":"^[A-Za-z][A-Za-z0-9+.-]*://[^\\s]*$","x-expected":"a libvirt URI such as qemu:///system or qemu+ssh://user@host/system"},"pool":{"description":"The storage pool holding box images (uploaded once) and each machine's overlay volumes. Default `vm` (a directory pool created on first use under /var/lib/libvirt/vm).","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$","x-expected":"a pool name made of letters, digits, `-`, `_` and `.`"}}},"primary":{"description":"This machine is the one commands that act on a single machine (`vm ssh`, `vm logs`, `vm cp`) use when no name is given, as Vagrant's `primary: true`. At most one machine may set it; not under `defaults:`.","type":"boolean"},"depends_on":{"description":"Machines that must be up, and pass their `ready` probe, before this one boots. `vm up` follows these: independent machines boot together, and `vm up NAME` brings NAME's dependencies up too. Names must be machines of this Vmfile; cycles are refused. Not under `defaults:`.","type":"array","x-expected":"a list of machine names","items":{"description":"The name of another machine of this Vmfile.","type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$","x-expected":"a machine name"}}}};

function validate80(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if((!(data && typeof data == "object" && !Array.isArray(data))) && (data !== null)){
const err0 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: schema33.type},message:"must be object,null",schema:schema33.type,parentSchema:schema33,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!(func2.call(schema33.properties, key0))){
const err1 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema33,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.box !== undefined){
let data0 = data.box;
if((typeof data0 !== "string") && (!(data0 && typeof data0 == "object" && !Array.isArray(data0)))){
const err2 = {instancePath:instancePath+"/box",schemaPath:"#/properties/box/type",keyword:"type",params:{type: schema33.properties.box.type},message:"must be string,object",schema:schema33.properties.box.type,parentSchema:schema33.properties.box,data:data0};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
if(typeof data0 === "string"){
if(!pattern0.test(data0)){
const err3 = {instancePath:instancePath+"/box",schemaPath:"#/properties/box/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"+"\"",schema:"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",parentSchema:schema33.properties.box,data:data0};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data0 && typeof data0 == "object" && !Array.isArray(data0)){
if(data0.name === undefined){
const err4 = {instancePath:instancePath+"/box",schemaPath:"#/properties/box/required",keyword:"required",params:{missingProperty: "name"},message:"must have required property '"+"name"+"'",schema:schema33.properties.box.required,parentSchema:schema33.properties.box,data:data0};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
for(const key1 in data0){
if(!((((key1 === "name") || (key1 === "version")) || (key1 === "url")) || (key1 === "checksum"))){
const err5 = {instancePath:instancePath+"/box",schemaPath:"#/properties/box/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties",schema:false,parentSchema:schema33.properties.box,data:data0};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data0.name !== undefined){
let data1 = data0.name;
if(typeof data1 === "string"){
if(!pattern0.test(data1)){
const err6 = {instancePath:instancePath+"/box/name",schemaPath:"#/properties/box/properties/name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"+"\"",schema:"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",parentSchema:schema33.properties.box.properties.name,data:data1};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
else {
const err7 = {instancePath:instancePath+"/box/name",schemaPath:"#/properties/box/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.box.properties.name.type,parentSchema:schema33.properties.box.properties.name,data:data1};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data0.version !== undefined){
let data2 = data0.version;
if(typeof data2 === "string"){
if(!pattern2.test(data2)){
const err8 = {instancePath:instancePath+"/box/version",schemaPath:"#/properties/box/properties/version/pattern",keyword:"pattern",params:{pattern: "^\\s*(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?(?:(?:\\s+(?:,\\s*)?|,\\s*)(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?){0,7}\\s*$"},message:"must match pattern \""+"^\\s*(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?(?:(?:\\s+(?:,\\s*)?|,\\s*)(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?){0,7}\\s*$"+"\"",schema:"^\\s*(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?(?:(?:\\s+(?:,\\s*)?|,\\s*)(?:(?:>=|<=|>|<|=|~|\\^)\\s*)?v?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?){0,7}\\s*$",parentSchema:schema33.properties.box.properties.version,data:data2};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
else {
const err9 = {instancePath:instancePath+"/box/version",schemaPath:"#/properties/box/properties/version/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.box.properties.version.type,parentSchema:schema33.properties.box.properties.version,data:data2};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data0.url !== undefined){
let data3 = data0.url;
if(typeof data3 === "string"){
if(!pattern3.test(data3)){
const err10 = {instancePath:instancePath+"/box/url",schemaPath:"#/properties/box/properties/url/pattern",keyword:"pattern",params:{pattern: "^(?:[Hh][Tt][Tt][Pp][Ss]?|[Ff][Ii][Ll][Ee])://\\S+$"},message:"must match pattern \""+"^(?:[Hh][Tt][Tt][Pp][Ss]?|[Ff][Ii][Ll][Ee])://\\S+$"+"\"",schema:"^(?:[Hh][Tt][Tt][Pp][Ss]?|[Ff][Ii][Ll][Ee])://\\S+$",parentSchema:schema33.properties.box.properties.url,data:data3};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
else {
const err11 = {instancePath:instancePath+"/box/url",schemaPath:"#/properties/box/properties/url/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.box.properties.url.type,parentSchema:schema33.properties.box.properties.url,data:data3};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
if(data0.checksum !== undefined){
let data4 = data0.checksum;
if(typeof data4 === "string"){
if(!pattern4.test(data4)){
const err12 = {instancePath:instancePath+"/box/checksum",schemaPath:"#/properties/box/properties/checksum/pattern",keyword:"pattern",params:{pattern: "^(?:sha256:)?[0-9a-fA-F]{64}$"},message:"must match pattern \""+"^(?:sha256:)?[0-9a-fA-F]{64}$"+"\"",schema:"^(?:sha256:)?[0-9a-fA-F]{64}$",parentSchema:schema33.properties.box.properties.checksum,data:data4};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
else {
const err13 = {instancePath:instancePath+"/box/checksum",schemaPath:"#/properties/box/properties/checksum/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.box.properties.checksum.type,parentSchema:schema33.properties.box.properties.checksum,data:data4};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
}
}
if(data.engine !== undefined){
let data5 = data.engine;
if(!((((data5 === "auto") || (data5 === "builtin")) || (data5 === "qemu")) || (data5 === "libvirt"))){
const err14 = {instancePath:instancePath+"/engine",schemaPath:"#/properties/engine/enum",keyword:"enum",params:{allowedValues: schema33.properties.engine.enum},message:"must be equal to one of the allowed values",schema:schema33.properties.engine.enum,parentSchema:schema33.properties.engine,data:data5};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
if(data.accel !== undefined){
let data6 = data.accel;
if(!(((data6 === "auto") || (data6 === "kvm")) || (data6 === "tcg"))){
const err15 = {instancePath:instancePath+"/accel",schemaPath:"#/properties/accel/enum",keyword:"enum",params:{allowedValues: schema33.properties.accel.enum},message:"must be equal to one of the allowed values",schema:schema33.properties.accel.enum,parentSchema:schema33.properties.accel,data:data6};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
if(data.cpus !== undefined){
let data7 = data.cpus;
if(!(((typeof data7 == "number") && (!(data7 % 1) && !isNaN(data7))) && (isFinite(data7)))){
const err16 = {instancePath:instancePath+"/cpus",schemaPath:"#/properties/cpus/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema33.properties.cpus.type,parentSchema:schema33.properties.cpus,data:data7};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
if((typeof data7 == "number") && (isFinite(data7))){
if(data7 > 64 || isNaN(data7)){
const err17 = {instancePath:instancePath+"/cpus",schemaPath:"#/properties/cpus/maximum",keyword:"maximum",params:{comparison: "<=", limit: 64},message:"must be <= 64",schema:64,parentSchema:schema33.properties.cpus,data:data7};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
if(data7 < 1 || isNaN(data7)){
const err18 = {instancePath:instancePath+"/cpus",schemaPath:"#/properties/cpus/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema33.properties.cpus,data:data7};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
}
if(data.memory !== undefined){
if(!(validate35(data.memory, {instancePath:instancePath+"/memory",parentData:data,parentDataProperty:"memory",rootData}))){
vErrors = vErrors === null ? validate35.errors : vErrors.concat(validate35.errors);
errors = vErrors.length;
}
}
if(data.disk_size !== undefined){
if(!(validate35(data.disk_size, {instancePath:instancePath+"/disk_size",parentData:data,parentDataProperty:"disk_size",rootData}))){
vErrors = vErrors === null ? validate35.errors : vErrors.concat(validate35.errors);
errors = vErrors.length;
}
}
if(data.disks !== undefined){
let data10 = data.disks;
if(Array.isArray(data10)){
const len0 = data10.length;
for(let i0=0; i0<len0; i0++){
let data11 = data10[i0];
if(data11 && typeof data11 == "object" && !Array.isArray(data11)){
if(data11.name === undefined){
const err19 = {instancePath:instancePath+"/disks/" + i0,schemaPath:"#/properties/disks/items/required",keyword:"required",params:{missingProperty: "name"},message:"must have required property '"+"name"+"'",schema:schema33.properties.disks.items.required,parentSchema:schema33.properties.disks.items,data:data11};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
if(data11.size === undefined){
const err20 = {instancePath:instancePath+"/disks/" + i0,schemaPath:"#/properties/disks/items/required",keyword:"required",params:{missingProperty: "size"},message:"must have required property '"+"size"+"'",schema:schema33.properties.disks.items.required,parentSchema:schema33.properties.disks.items,data:data11};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
for(const key2 in data11){
if(!((key2 === "name") || (key2 === "size"))){
const err21 = {instancePath:instancePath+"/disks/" + i0,schemaPath:"#/properties/disks/items/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key2},message:"must NOT have additional properties",schema:false,parentSchema:schema33.properties.disks.items,data:data11};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
if(data11.name !== undefined){
let data12 = data11.name;
if(typeof data12 === "string"){
if(!pattern7.test(data12)){
const err22 = {instancePath:instancePath+"/disks/" + i0+"/name",schemaPath:"#/properties/disks/items/properties/name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"+"\"",schema:"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$",parentSchema:schema33.properties.disks.items.properties.name,data:data12};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
else {
const err23 = {instancePath:instancePath+"/disks/" + i0+"/name",schemaPath:"#/properties/disks/items/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.disks.items.properties.name.type,parentSchema:schema33.properties.disks.items.properties.name,data:data12};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
if(data11.size !== undefined){
if(!(validate35(data11.size, {instancePath:instancePath+"/disks/" + i0+"/size",parentData:data11,parentDataProperty:"size",rootData}))){
vErrors = vErrors === null ? validate35.errors : vErrors.concat(validate35.errors);
errors = vErrors.length;
}
}
}
else {
const err24 = {instancePath:instancePath+"/disks/" + i0,schemaPath:"#/properties/disks/items/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema33.properties.disks.items.type,parentSchema:schema33.properties.disks.items,data:data11};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
}
}
else {
const err25 = {instancePath:instancePath+"/disks",schemaPath:"#/properties/disks/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema33.properties.disks.type,parentSchema:schema33.properties.disks,data:data10};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
}
if(data.nics !== undefined){
let data14 = data.nics;
if(Array.isArray(data14)){
const len1 = data14.length;
for(let i1=0; i1<len1; i1++){
let data15 = data14[i1];
if(data15 && typeof data15 == "object" && !Array.isArray(data15)){
if(data15.type === undefined){
const err26 = {instancePath:instancePath+"/nics/" + i1,schemaPath:"#/properties/nics/items/required",keyword:"required",params:{missingProperty: "type"},message:"must have required property '"+"type"+"'",schema:schema33.properties.nics.items.required,parentSchema:schema33.properties.nics.items,data:data15};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
const tag0 = data15.type;
if(typeof tag0 == "string"){
if(tag0 === "nat"){
if(data15 && typeof data15 == "object" && !Array.isArray(data15)){
for(const key3 in data15){
if(!((key3 === "type") || (key3 === "mac"))){
const err27 = {instancePath:instancePath+"/nics/" + i1,schemaPath:"#/properties/nics/items/oneOf/0/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key3},message:"must NOT have additional properties",schema:false,parentSchema:schema33.properties.nics.items.oneOf[0],data:data15};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
}
if(data15.type !== undefined){
let data16 = data15.type;
if("nat" !== data16){
const err28 = {instancePath:instancePath+"/nics/" + i1+"/type",schemaPath:"#/properties/nics/items/oneOf/0/properties/type/const",keyword:"const",params:{allowedValue: "nat"},message:"must be equal to constant",schema:"nat",parentSchema:schema33.properties.nics.items.oneOf[0].properties.type,data:data16};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
}
if(data15.mac !== undefined){
if(!(validate39(data15.mac, {instancePath:instancePath+"/nics/" + i1+"/mac",parentData:data15,parentDataProperty:"mac",rootData}))){
vErrors = vErrors === null ? validate39.errors : vErrors.concat(validate39.errors);
errors = vErrors.length;
}
}
}
}
else if(tag0 === "private"){
if(data15 && typeof data15 == "object" && !Array.isArray(data15)){
if(data15.network === undefined){
const err29 = {instancePath:instancePath+"/nics/" + i1,schemaPath:"#/properties/nics/items/oneOf/1/required",keyword:"required",params:{missingProperty: "network"},message:"must have required property '"+"network"+"'",schema:schema33.properties.nics.items.oneOf[1].required,parentSchema:schema33.properties.nics.items.oneOf[1],data:data15};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
for(const key4 in data15){
if(!((((key4 === "type") || (key4 === "network")) || (key4 === "ip")) || (key4 === "mac"))){
const err30 = {instancePath:instancePath+"/nics/" + i1,schemaPath:"#/properties/nics/items/oneOf/1/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key4},message:"must NOT have additional properties",schema:false,parentSchema:schema33.properties.nics.items.oneOf[1],data:data15};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
}
if(data15.type !== undefined){
let data18 = data15.type;
if("private" !== data18){
const err31 = {instancePath:instancePath+"/nics/" + i1+"/type",schemaPath:"#/properties/nics/items/oneOf/1/properties/type/const",keyword:"const",params:{allowedValue: "private"},message:"must be equal to constant",schema:"private",parentSchema:schema33.properties.nics.items.oneOf[1].properties.type,data:data18};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
}
if(data15.network !== undefined){
let data19 = data15.network;
if(typeof data19 === "string"){
if(!pattern7.test(data19)){
const err32 = {instancePath:instancePath+"/nics/" + i1+"/network",schemaPath:"#/properties/nics/items/oneOf/1/properties/network/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"+"\"",schema:"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$",parentSchema:schema33.properties.nics.items.oneOf[1].properties.network,data:data19};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
}
else {
const err33 = {instancePath:instancePath+"/nics/" + i1+"/network",schemaPath:"#/properties/nics/items/oneOf/1/properties/network/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.nics.items.oneOf[1].properties.network.type,parentSchema:schema33.properties.nics.items.oneOf[1].properties.network,data:data19};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
}
if(data15.ip !== undefined){
let data20 = data15.ip;
if(typeof data20 === "string"){
if(!pattern11.test(data20)){
const err34 = {instancePath:instancePath+"/nics/" + i1+"/ip",schemaPath:"#/properties/nics/items/oneOf/1/properties/ip/pattern",keyword:"pattern",params:{pattern: "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$"},message:"must match pattern \""+"^[0-9]{1,3}(\\.[0-9]{1,3}){3}$"+"\"",schema:"^[0-9]{1,3}(\\.[0-9]{1,3}){3}$",parentSchema:schema33.properties.nics.items.oneOf[1].properties.ip,data:data20};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
}
else {
const err35 = {instancePath:instancePath+"/nics/" + i1+"/ip",schemaPath:"#/properties/nics/items/oneOf/1/properties/ip/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.nics.items.oneOf[1].properties.ip.type,parentSchema:schema33.properties.nics.items.oneOf[1].properties.ip,data:data20};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
}
if(data15.mac !== undefined){
if(!(validate39(data15.mac, {instancePath:instancePath+"/nics/" + i1+"/mac",parentData:data15,parentDataProperty:"mac",rootData}))){
vErrors = vErrors === null ? validate39.errors : vErrors.concat(validate39.errors);
errors = vErrors.length;
}
}
}
}
else {
const err36 = {instancePath:instancePath+"/nics/" + i1,schemaPath:"#/properties/nics/items/discriminator",keyword:"discriminator",params:{error: "mapping", tag: "type", tagValue: tag0},message:"value of tag \"type\" must be in oneOf",schema:schema33.properties.nics.items.discriminator,parentSchema:schema33.properties.nics.items,data:data15};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
}
else {
const err37 = {instancePath:instancePath+"/nics/" + i1,schemaPath:"#/properties/nics/items/discriminator",keyword:"discriminator",params:{error: "tag", tag: "type", tagValue: tag0},message:"tag \"type\" must be string",schema:schema33.properties.nics.items.discriminator,parentSchema:schema33.properties.nics.items,data:data15};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
}
else {
const err38 = {instancePath:instancePath+"/nics/" + i1,schemaPath:"#/properties/nics/items/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema33.properties.nics.items.type,parentSchema:schema33.properties.nics.items,data:data15};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
}
}
else {
const err39 = {instancePath:instancePath+"/nics",schemaPath:"#/properties/nics/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema33.properties.nics.type,parentSchema:schema33.properties.nics,data:data14};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
}
if(data.forwards !== undefined){
let data22 = data.forwards;
if(Array.isArray(data22)){
const len2 = data22.length;
for(let i2=0; i2<len2; i2++){
let data23 = data22[i2];
if(data23 && typeof data23 == "object" && !Array.isArray(data23)){
if(data23.guest === undefined){
const err40 = {instancePath:instancePath+"/forwards/" + i2,schemaPath:"#/properties/forwards/items/required",keyword:"required",params:{missingProperty: "guest"},message:"must have required property '"+"guest"+"'",schema:schema33.properties.forwards.items.required,parentSchema:schema33.properties.forwards.items,data:data23};
if(vErrors === null){
vErrors = [err40];
}
else {
vErrors.push(err40);
}
errors++;
}
if(data23.host === undefined){
const err41 = {instancePath:instancePath+"/forwards/" + i2,schemaPath:"#/properties/forwards/items/required",keyword:"required",params:{missingProperty: "host"},message:"must have required property '"+"host"+"'",schema:schema33.properties.forwards.items.required,parentSchema:schema33.properties.forwards.items,data:data23};
if(vErrors === null){
vErrors = [err41];
}
else {
vErrors.push(err41);
}
errors++;
}
for(const key5 in data23){
if(!(((((key5 === "guest") || (key5 === "host")) || (key5 === "host_ip")) || (key5 === "protocol")) || (key5 === "auto_correct"))){
const err42 = {instancePath:instancePath+"/forwards/" + i2,schemaPath:"#/properties/forwards/items/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key5},message:"must NOT have additional properties",schema:false,parentSchema:schema33.properties.forwards.items,data:data23};
if(vErrors === null){
vErrors = [err42];
}
else {
vErrors.push(err42);
}
errors++;
}
}
if(data23.guest !== undefined){
if(!(validate44(data23.guest, {instancePath:instancePath+"/forwards/" + i2+"/guest",parentData:data23,parentDataProperty:"guest",rootData}))){
vErrors = vErrors === null ? validate44.errors : vErrors.concat(validate44.errors);
errors = vErrors.length;
}
}
if(data23.host !== undefined){
if(!(validate44(data23.host, {instancePath:instancePath+"/forwards/" + i2+"/host",parentData:data23,parentDataProperty:"host",rootData}))){
vErrors = vErrors === null ? validate44.errors : vErrors.concat(validate44.errors);
errors = vErrors.length;
}
}
if(data23.host_ip !== undefined){
let data26 = data23.host_ip;
if(typeof data26 !== "string"){
const err43 = {instancePath:instancePath+"/forwards/" + i2+"/host_ip",schemaPath:"#/properties/forwards/items/properties/host_ip/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.forwards.items.properties.host_ip.type,parentSchema:schema33.properties.forwards.items.properties.host_ip,data:data26};
if(vErrors === null){
vErrors = [err43];
}
else {
vErrors.push(err43);
}
errors++;
}
}
if(data23.protocol !== undefined){
let data27 = data23.protocol;
if(!((data27 === "tcp") || (data27 === "udp"))){
const err44 = {instancePath:instancePath+"/forwards/" + i2+"/protocol",schemaPath:"#/properties/forwards/items/properties/protocol/enum",keyword:"enum",params:{allowedValues: schema33.properties.forwards.items.properties.protocol.enum},message:"must be equal to one of the allowed values",schema:schema33.properties.forwards.items.properties.protocol.enum,parentSchema:schema33.properties.forwards.items.properties.protocol,data:data27};
if(vErrors === null){
vErrors = [err44];
}
else {
vErrors.push(err44);
}
errors++;
}
}
if(data23.auto_correct !== undefined){
let data28 = data23.auto_correct;
if(typeof data28 !== "boolean"){
const err45 = {instancePath:instancePath+"/forwards/" + i2+"/auto_correct",schemaPath:"#/properties/forwards/items/properties/auto_correct/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema33.properties.forwards.items.properties.auto_correct.type,parentSchema:schema33.properties.forwards.items.properties.auto_correct,data:data28};
if(vErrors === null){
vErrors = [err45];
}
else {
vErrors.push(err45);
}
errors++;
}
}
}
else {
const err46 = {instancePath:instancePath+"/forwards/" + i2,schemaPath:"#/properties/forwards/items/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema33.properties.forwards.items.type,parentSchema:schema33.properties.forwards.items,data:data23};
if(vErrors === null){
vErrors = [err46];
}
else {
vErrors.push(err46);
}
errors++;
}
}
}
else {
const err47 = {instancePath:instancePath+"/forwards",schemaPath:"#/properties/forwards/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema33.properties.forwards.type,parentSchema:schema33.properties.forwards,data:data22};
if(vErrors === null){
vErrors = [err47];
}
else {
vErrors.push(err47);
}
errors++;
}
}
if(data.auto_forwards !== undefined){
let data29 = data.auto_forwards;
if(typeof data29 !== "boolean"){
const err48 = {instancePath:instancePath+"/auto_forwards",schemaPath:"#/properties/auto_forwards/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema33.properties.auto_forwards.type,parentSchema:schema33.properties.auto_forwards,data:data29};
if(vErrors === null){
vErrors = [err48];
}
else {
vErrors.push(err48);
}
errors++;
}
}
if(data.warm_start !== undefined){
let data30 = data.warm_start;
if(typeof data30 !== "boolean"){
const err49 = {instancePath:instancePath+"/warm_start",schemaPath:"#/properties/warm_start/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema33.properties.warm_start.type,parentSchema:schema33.properties.warm_start,data:data30};
if(vErrors === null){
vErrors = [err49];
}
else {
vErrors.push(err49);
}
errors++;
}
}
if(data.synced_folders !== undefined){
let data31 = data.synced_folders;
if(Array.isArray(data31)){
const len3 = data31.length;
for(let i3=0; i3<len3; i3++){
let data32 = data31[i3];
if(data32 && typeof data32 == "object" && !Array.isArray(data32)){
if(data32.host === undefined){
const err50 = {instancePath:instancePath+"/synced_folders/" + i3,schemaPath:"#/properties/synced_folders/items/required",keyword:"required",params:{missingProperty: "host"},message:"must have required property '"+"host"+"'",schema:schema33.properties.synced_folders.items.required,parentSchema:schema33.properties.synced_folders.items,data:data32};
if(vErrors === null){
vErrors = [err50];
}
else {
vErrors.push(err50);
}
errors++;
}
if(data32.guest === undefined){
const err51 = {instancePath:instancePath+"/synced_folders/" + i3,schemaPath:"#/properties/synced_folders/items/required",keyword:"required",params:{missingProperty: "guest"},message:"must have required property '"+"guest"+"'",schema:schema33.properties.synced_folders.items.required,parentSchema:schema33.properties.synced_folders.items,data:data32};
if(vErrors === null){
vErrors = [err51];
}
else {
vErrors.push(err51);
}
errors++;
}
for(const key6 in data32){
if(!((((key6 === "host") || (key6 === "guest")) || (key6 === "read_only")) || (key6 === "tag"))){
const err52 = {instancePath:instancePath+"/synced_folders/" + i3,schemaPath:"#/properties/synced_folders/items/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key6},message:"must NOT have additional properties",schema:false,parentSchema:schema33.properties.synced_folders.items,data:data32};
if(vErrors === null){
vErrors = [err52];
}
else {
vErrors.push(err52);
}
errors++;
}
}
if(data32.host !== undefined){
let data33 = data32.host;
if(typeof data33 === "string"){
if(!pattern12.test(data33)){
const err53 = {instancePath:instancePath+"/synced_folders/" + i3+"/host",schemaPath:"#/properties/synced_folders/items/properties/host/pattern",keyword:"pattern",params:{pattern: "\\S"},message:"must match pattern \""+"\\S"+"\"",schema:"\\S",parentSchema:schema33.properties.synced_folders.items.properties.host,data:data33};
if(vErrors === null){
vErrors = [err53];
}
else {
vErrors.push(err53);
}
errors++;
}
}
else {
const err54 = {instancePath:instancePath+"/synced_folders/" + i3+"/host",schemaPath:"#/properties/synced_folders/items/properties/host/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.synced_folders.items.properties.host.type,parentSchema:schema33.properties.synced_folders.items.properties.host,data:data33};
if(vErrors === null){
vErrors = [err54];
}
else {
vErrors.push(err54);
}
errors++;
}
}
if(data32.guest !== undefined){
if(!(validate53(data32.guest, {instancePath:instancePath+"/synced_folders/" + i3+"/guest",parentData:data32,parentDataProperty:"guest",rootData}))){
vErrors = vErrors === null ? validate53.errors : vErrors.concat(validate53.errors);
errors = vErrors.length;
}
}
if(data32.read_only !== undefined){
let data35 = data32.read_only;
if(typeof data35 !== "boolean"){
const err55 = {instancePath:instancePath+"/synced_folders/" + i3+"/read_only",schemaPath:"#/properties/synced_folders/items/properties/read_only/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema33.properties.synced_folders.items.properties.read_only.type,parentSchema:schema33.properties.synced_folders.items.properties.read_only,data:data35};
if(vErrors === null){
vErrors = [err55];
}
else {
vErrors.push(err55);
}
errors++;
}
}
if(data32.tag !== undefined){
let data36 = data32.tag;
if(typeof data36 === "string"){
if(!pattern14.test(data36)){
const err56 = {instancePath:instancePath+"/synced_folders/" + i3+"/tag",schemaPath:"#/properties/synced_folders/items/properties/tag/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9_.-]{1,31}$"},message:"must match pattern \""+"^[A-Za-z0-9_.-]{1,31}$"+"\"",schema:"^[A-Za-z0-9_.-]{1,31}$",parentSchema:schema33.properties.synced_folders.items.properties.tag,data:data36};
if(vErrors === null){
vErrors = [err56];
}
else {
vErrors.push(err56);
}
errors++;
}
}
else {
const err57 = {instancePath:instancePath+"/synced_folders/" + i3+"/tag",schemaPath:"#/properties/synced_folders/items/properties/tag/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.synced_folders.items.properties.tag.type,parentSchema:schema33.properties.synced_folders.items.properties.tag,data:data36};
if(vErrors === null){
vErrors = [err57];
}
else {
vErrors.push(err57);
}
errors++;
}
}
}
else {
const err58 = {instancePath:instancePath+"/synced_folders/" + i3,schemaPath:"#/properties/synced_folders/items/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema33.properties.synced_folders.items.type,parentSchema:schema33.properties.synced_folders.items,data:data32};
if(vErrors === null){
vErrors = [err58];
}
else {
vErrors.push(err58);
}
errors++;
}
}
}
else {
const err59 = {instancePath:instancePath+"/synced_folders",schemaPath:"#/properties/synced_folders/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema33.properties.synced_folders.type,parentSchema:schema33.properties.synced_folders,data:data31};
if(vErrors === null){
vErrors = [err59];
}
else {
vErrors.push(err59);
}
errors++;
}
}
if(data.provision !== undefined){
let data37 = data.provision;
if(Array.isArray(data37)){
const len4 = data37.length;
for(let i4=0; i4<len4; i4++){
let data38 = data37[i4];
if(data38 && typeof data38 == "object" && !Array.isArray(data38)){
if(data38.type === undefined){
const err60 = {instancePath:instancePath+"/provision/" + i4,schemaPath:"#/properties/provision/items/required",keyword:"required",params:{missingProperty: "type"},message:"must have required property '"+"type"+"'",schema:schema33.properties.provision.items.required,parentSchema:schema33.properties.provision.items,data:data38};
if(vErrors === null){
vErrors = [err60];
}
else {
vErrors.push(err60);
}
errors++;
}
const tag1 = data38.type;
if(typeof tag1 == "string"){
if(tag1 === "shell"){
if(data38 && typeof data38 == "object" && !Array.isArray(data38)){
for(const key7 in data38){
if(!(((((((key7 === "type") || (key7 === "name")) || (key7 === "inline")) || (key7 === "path")) || (key7 === "args")) || (key7 === "env")) || (key7 === "run"))){
const err61 = {instancePath:instancePath+"/provision/" + i4,schemaPath:"#/properties/provision/items/oneOf/0/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key7},message:"must NOT have additional properties",schema:false,parentSchema:schema33.properties.provision.items.oneOf[0],data:data38};
if(vErrors === null){
vErrors = [err61];
}
else {
vErrors.push(err61);
}
errors++;
}
}
if(data38.type !== undefined){
let data39 = data38.type;
if("shell" !== data39){
const err62 = {instancePath:instancePath+"/provision/" + i4+"/type",schemaPath:"#/properties/provision/items/oneOf/0/properties/type/const",keyword:"const",params:{allowedValue: "shell"},message:"must be equal to constant",schema:"shell",parentSchema:schema33.properties.provision.items.oneOf[0].properties.type,data:data39};
if(vErrors === null){
vErrors = [err62];
}
else {
vErrors.push(err62);
}
errors++;
}
}
if(data38.name !== undefined){
if(!(validate57(data38.name, {instancePath:instancePath+"/provision/" + i4+"/name",parentData:data38,parentDataProperty:"name",rootData}))){
vErrors = vErrors === null ? validate57.errors : vErrors.concat(validate57.errors);
errors = vErrors.length;
}
}
if(data38.inline !== undefined){
let data41 = data38.inline;
if(typeof data41 !== "string"){
const err63 = {instancePath:instancePath+"/provision/" + i4+"/inline",schemaPath:"#/properties/provision/items/oneOf/0/properties/inline/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.provision.items.oneOf[0].properties.inline.type,parentSchema:schema33.properties.provision.items.oneOf[0].properties.inline,data:data41};
if(vErrors === null){
vErrors = [err63];
}
else {
vErrors.push(err63);
}
errors++;
}
}
if(data38.path !== undefined){
let data42 = data38.path;
if(typeof data42 === "string"){
if(!pattern12.test(data42)){
const err64 = {instancePath:instancePath+"/provision/" + i4+"/path",schemaPath:"#/properties/provision/items/oneOf/0/properties/path/pattern",keyword:"pattern",params:{pattern: "\\S"},message:"must match pattern \""+"\\S"+"\"",schema:"\\S",parentSchema:schema33.properties.provision.items.oneOf[0].properties.path,data:data42};
if(vErrors === null){
vErrors = [err64];
}
else {
vErrors.push(err64);
}
errors++;
}
}
else {
const err65 = {instancePath:instancePath+"/provision/" + i4+"/path",schemaPath:"#/properties/provision/items/oneOf/0/properties/path/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.provision.items.oneOf[0].properties.path.type,parentSchema:schema33.properties.provision.items.oneOf[0].properties.path,data:data42};
if(vErrors === null){
vErrors = [err65];
}
else {
vErrors.push(err65);
}
errors++;
}
}
if(data38.args !== undefined){
let data43 = data38.args;
if(Array.isArray(data43)){
const len5 = data43.length;
for(let i5=0; i5<len5; i5++){
let data44 = data43[i5];
if(((typeof data44 !== "string") && (!((typeof data44 == "number") && (isFinite(data44))))) && (typeof data44 !== "boolean")){
const err66 = {instancePath:instancePath+"/provision/" + i4+"/args/" + i5,schemaPath:"#/properties/provision/items/oneOf/0/properties/args/items/type",keyword:"type",params:{type: schema33.properties.provision.items.oneOf[0].properties.args.items.type},message:"must be string,number,boolean",schema:schema33.properties.provision.items.oneOf[0].properties.args.items.type,parentSchema:schema33.properties.provision.items.oneOf[0].properties.args.items,data:data44};
if(vErrors === null){
vErrors = [err66];
}
else {
vErrors.push(err66);
}
errors++;
}
}
}
else {
const err67 = {instancePath:instancePath+"/provision/" + i4+"/args",schemaPath:"#/properties/provision/items/oneOf/0/properties/args/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema33.properties.provision.items.oneOf[0].properties.args.type,parentSchema:schema33.properties.provision.items.oneOf[0].properties.args,data:data43};
if(vErrors === null){
vErrors = [err67];
}
else {
vErrors.push(err67);
}
errors++;
}
}
if(data38.env !== undefined){
if(!(validate59(data38.env, {instancePath:instancePath+"/provision/" + i4+"/env",parentData:data38,parentDataProperty:"env",rootData}))){
vErrors = vErrors === null ? validate59.errors : vErrors.concat(validate59.errors);
errors = vErrors.length;
}
}
if(data38.run !== undefined){
if(!(validate61(data38.run, {instancePath:instancePath+"/provision/" + i4+"/run",parentData:data38,parentDataProperty:"run",rootData}))){
vErrors = vErrors === null ? validate61.errors : vErrors.concat(validate61.errors);
errors = vErrors.length;
}
}
}
}
else if(tag1 === "file"){
if(data38 && typeof data38 == "object" && !Array.isArray(data38)){
if(data38.source === undefined){
const err68 = {instancePath:instancePath+"/provision/" + i4,schemaPath:"#/properties/provision/items/oneOf/1/required",keyword:"required",params:{missingProperty: "source"},message:"must have required property '"+"source"+"'",schema:schema33.properties.provision.items.oneOf[1].required,parentSchema:schema33.properties.provision.items.oneOf[1],data:data38};
if(vErrors === null){
vErrors = [err68];
}
else {
vErrors.push(err68);
}
errors++;
}
if(data38.destination === undefined){
const err69 = {instancePath:instancePath+"/provision/" + i4,schemaPath:"#/properties/provision/items/oneOf/1/required",keyword:"required",params:{missingProperty: "destination"},message:"must have required property '"+"destination"+"'",schema:schema33.properties.provision.items.oneOf[1].required,parentSchema:schema33.properties.provision.items.oneOf[1],data:data38};
if(vErrors === null){
vErrors = [err69];
}
else {
vErrors.push(err69);
}
errors++;
}
for(const key8 in data38){
if(!(((((key8 === "type") || (key8 === "name")) || (key8 === "source")) || (key8 === "destination")) || (key8 === "run"))){
const err70 = {instancePath:instancePath+"/provision/" + i4,schemaPath:"#/properties/provision/items/oneOf/1/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key8},message:"must NOT have additional properties",schema:false,parentSchema:schema33.properties.provision.items.oneOf[1],data:data38};
if(vErrors === null){
vErrors = [err70];
}
else {
vErrors.push(err70);
}
errors++;
}
}
if(data38.type !== undefined){
let data47 = data38.type;
if("file" !== data47){
const err71 = {instancePath:instancePath+"/provision/" + i4+"/type",schemaPath:"#/properties/provision/items/oneOf/1/properties/type/const",keyword:"const",params:{allowedValue: "file"},message:"must be equal to constant",schema:"file",parentSchema:schema33.properties.provision.items.oneOf[1].properties.type,data:data47};
if(vErrors === null){
vErrors = [err71];
}
else {
vErrors.push(err71);
}
errors++;
}
}
if(data38.name !== undefined){
if(!(validate57(data38.name, {instancePath:instancePath+"/provision/" + i4+"/name",parentData:data38,parentDataProperty:"name",rootData}))){
vErrors = vErrors === null ? validate57.errors : vErrors.concat(validate57.errors);
errors = vErrors.length;
}
}
if(data38.source !== undefined){
let data49 = data38.source;
if(typeof data49 === "string"){
if(!pattern12.test(data49)){
const err72 = {instancePath:instancePath+"/provision/" + i4+"/source",schemaPath:"#/properties/provision/items/oneOf/1/properties/source/pattern",keyword:"pattern",params:{pattern: "\\S"},message:"must match pattern \""+"\\S"+"\"",schema:"\\S",parentSchema:schema33.properties.provision.items.oneOf[1].properties.source,data:data49};
if(vErrors === null){
vErrors = [err72];
}
else {
vErrors.push(err72);
}
errors++;
}
}
else {
const err73 = {instancePath:instancePath+"/provision/" + i4+"/source",schemaPath:"#/properties/provision/items/oneOf/1/properties/source/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.provision.items.oneOf[1].properties.source.type,parentSchema:schema33.properties.provision.items.oneOf[1].properties.source,data:data49};
if(vErrors === null){
vErrors = [err73];
}
else {
vErrors.push(err73);
}
errors++;
}
}
if(data38.destination !== undefined){
if(!(validate53(data38.destination, {instancePath:instancePath+"/provision/" + i4+"/destination",parentData:data38,parentDataProperty:"destination",rootData}))){
vErrors = vErrors === null ? validate53.errors : vErrors.concat(validate53.errors);
errors = vErrors.length;
}
}
if(data38.run !== undefined){
if(!(validate61(data38.run, {instancePath:instancePath+"/provision/" + i4+"/run",parentData:data38,parentDataProperty:"run",rootData}))){
vErrors = vErrors === null ? validate61.errors : vErrors.concat(validate61.errors);
errors = vErrors.length;
}
}
}
}
else {
const err74 = {instancePath:instancePath+"/provision/" + i4,schemaPath:"#/properties/provision/items/discriminator",keyword:"discriminator",params:{error: "mapping", tag: "type", tagValue: tag1},message:"value of tag \"type\" must be in oneOf",schema:schema33.properties.provision.items.discriminator,parentSchema:schema33.properties.provision.items,data:data38};
if(vErrors === null){
vErrors = [err74];
}
else {
vErrors.push(err74);
}
errors++;
}
}
else {
const err75 = {instancePath:instancePath+"/provision/" + i4,schemaPath:"#/properties/provision/items/discriminator",keyword:"discriminator",params:{error: "tag", tag: "type", tagValue: tag1},message:"tag \"type\" must be string",schema:schema33.properties.provision.items.discriminator,parentSchema:schema33.properties.provision.items,data:data38};
if(vErrors === null){
vErrors = [err75];
}
else {
vErrors.push(err75);
}
errors++;
}
}
else {
const err76 = {instancePath:instancePath+"/provision/" + i4,schemaPath:"#/properties/provision/items/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema33.properties.provision.items.type,parentSchema:schema33.properties.provision.items,data:data38};
if(vErrors === null){
vErrors = [err76];
}
else {
vErrors.push(err76);
}
errors++;
}
}
}
else {
const err77 = {instancePath:instancePath+"/provision",schemaPath:"#/properties/provision/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema33.properties.provision.type,parentSchema:schema33.properties.provision,data:data37};
if(vErrors === null){
vErrors = [err77];
}
else {
vErrors.push(err77);
}
errors++;
}
}
if(data.hostname !== undefined){
let data52 = data.hostname;
if(typeof data52 === "string"){
if(!pattern19.test(data52)){
const err78 = {instancePath:instancePath+"/hostname",schemaPath:"#/properties/hostname/pattern",keyword:"pattern",params:{pattern: "^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"},message:"must match pattern \""+"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"+"\"",schema:"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$",parentSchema:schema33.properties.hostname,data:data52};
if(vErrors === null){
vErrors = [err78];
}
else {
vErrors.push(err78);
}
errors++;
}
}
else {
const err79 = {instancePath:instancePath+"/hostname",schemaPath:"#/properties/hostname/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.hostname.type,parentSchema:schema33.properties.hostname,data:data52};
if(vErrors === null){
vErrors = [err79];
}
else {
vErrors.push(err79);
}
errors++;
}
}
if(data.env !== undefined){
if(!(validate59(data.env, {instancePath:instancePath+"/env",parentData:data,parentDataProperty:"env",rootData}))){
vErrors = vErrors === null ? validate59.errors : vErrors.concat(validate59.errors);
errors = vErrors.length;
}
}
if(data.cmdline !== undefined){
let data54 = data.cmdline;
if((typeof data54 !== "string") && (!(Array.isArray(data54)))){
const err80 = {instancePath:instancePath+"/cmdline",schemaPath:"#/properties/cmdline/type",keyword:"type",params:{type: schema33.properties.cmdline.type},message:"must be string,array",schema:schema33.properties.cmdline.type,parentSchema:schema33.properties.cmdline,data:data54};
if(vErrors === null){
vErrors = [err80];
}
else {
vErrors.push(err80);
}
errors++;
}
if(typeof data54 === "string"){
if(!pattern21.test(data54)){
const err81 = {instancePath:instancePath+"/cmdline",schemaPath:"#/properties/cmdline/pattern",keyword:"pattern",params:{pattern: "^[^\\u0000-\\u001f]*$"},message:"must match pattern \""+"^[^\\u0000-\\u001f]*$"+"\"",schema:"^[^\\u0000-\\u001f]*$",parentSchema:schema33.properties.cmdline,data:data54};
if(vErrors === null){
vErrors = [err81];
}
else {
vErrors.push(err81);
}
errors++;
}
}
if(Array.isArray(data54)){
const len6 = data54.length;
for(let i6=0; i6<len6; i6++){
let data55 = data54[i6];
if(typeof data55 === "string"){
if(!pattern21.test(data55)){
const err82 = {instancePath:instancePath+"/cmdline/" + i6,schemaPath:"#/properties/cmdline/items/pattern",keyword:"pattern",params:{pattern: "^[^\\u0000-\\u001f]*$"},message:"must match pattern \""+"^[^\\u0000-\\u001f]*$"+"\"",schema:"^[^\\u0000-\\u001f]*$",parentSchema:schema33.properties.cmdline.items,data:data55};
if(vErrors === null){
vErrors = [err82];
}
else {
vErrors.push(err82);
}
errors++;
}
}
else {
const err83 = {instancePath:instancePath+"/cmdline/" + i6,schemaPath:"#/properties/cmdline/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.cmdline.items.type,parentSchema:schema33.properties.cmdline.items,data:data55};
if(vErrors === null){
vErrors = [err83];
}
else {
vErrors.push(err83);
}
errors++;
}
}
}
}
if(data.boot_timeout !== undefined){
let data56 = data.boot_timeout;
if((typeof data56 !== "string") && (!(((typeof data56 == "number") && (!(data56 % 1) && !isNaN(data56))) && (isFinite(data56))))){
const err84 = {instancePath:instancePath+"/boot_timeout",schemaPath:"#/properties/boot_timeout/type",keyword:"type",params:{type: schema33.properties.boot_timeout.type},message:"must be string,integer",schema:schema33.properties.boot_timeout.type,parentSchema:schema33.properties.boot_timeout,data:data56};
if(vErrors === null){
vErrors = [err84];
}
else {
vErrors.push(err84);
}
errors++;
}
if(typeof data56 === "string"){
if(!pattern23.test(data56)){
const err85 = {instancePath:instancePath+"/boot_timeout",schemaPath:"#/properties/boot_timeout/pattern",keyword:"pattern",params:{pattern: "^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$"},message:"must match pattern \""+"^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$"+"\"",schema:"^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$",parentSchema:schema33.properties.boot_timeout,data:data56};
if(vErrors === null){
vErrors = [err85];
}
else {
vErrors.push(err85);
}
errors++;
}
}
}
if(data.ready !== undefined){
let data57 = data.ready;
if(data57 && typeof data57 == "object" && !Array.isArray(data57)){
for(const key9 in data57){
if(!(((key9 === "tcp") || (key9 === "command")) || (key9 === "timeout"))){
const err86 = {instancePath:instancePath+"/ready",schemaPath:"#/properties/ready/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key9},message:"must NOT have additional properties",schema:false,parentSchema:schema33.properties.ready,data:data57};
if(vErrors === null){
vErrors = [err86];
}
else {
vErrors.push(err86);
}
errors++;
}
}
if(data57.tcp !== undefined){
if(!(validate44(data57.tcp, {instancePath:instancePath+"/ready/tcp",parentData:data57,parentDataProperty:"tcp",rootData}))){
vErrors = vErrors === null ? validate44.errors : vErrors.concat(validate44.errors);
errors = vErrors.length;
}
}
if(data57.command !== undefined){
let data59 = data57.command;
if(typeof data59 === "string"){
if(!pattern12.test(data59)){
const err87 = {instancePath:instancePath+"/ready/command",schemaPath:"#/properties/ready/properties/command/pattern",keyword:"pattern",params:{pattern: "\\S"},message:"must match pattern \""+"\\S"+"\"",schema:"\\S",parentSchema:schema33.properties.ready.properties.command,data:data59};
if(vErrors === null){
vErrors = [err87];
}
else {
vErrors.push(err87);
}
errors++;
}
}
else {
const err88 = {instancePath:instancePath+"/ready/command",schemaPath:"#/properties/ready/properties/command/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.ready.properties.command.type,parentSchema:schema33.properties.ready.properties.command,data:data59};
if(vErrors === null){
vErrors = [err88];
}
else {
vErrors.push(err88);
}
errors++;
}
}
if(data57.timeout !== undefined){
let data60 = data57.timeout;
if((typeof data60 !== "string") && (!(((typeof data60 == "number") && (!(data60 % 1) && !isNaN(data60))) && (isFinite(data60))))){
const err89 = {instancePath:instancePath+"/ready/timeout",schemaPath:"#/properties/ready/properties/timeout/type",keyword:"type",params:{type: schema33.properties.ready.properties.timeout.type},message:"must be string,integer",schema:schema33.properties.ready.properties.timeout.type,parentSchema:schema33.properties.ready.properties.timeout,data:data60};
if(vErrors === null){
vErrors = [err89];
}
else {
vErrors.push(err89);
}
errors++;
}
if(typeof data60 === "string"){
if(!pattern23.test(data60)){
const err90 = {instancePath:instancePath+"/ready/timeout",schemaPath:"#/properties/ready/properties/timeout/pattern",keyword:"pattern",params:{pattern: "^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$"},message:"must match pattern \""+"^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$"+"\"",schema:"^(?:[0-9]+|(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$",parentSchema:schema33.properties.ready.properties.timeout,data:data60};
if(vErrors === null){
vErrors = [err90];
}
else {
vErrors.push(err90);
}
errors++;
}
}
}
}
else {
const err91 = {instancePath:instancePath+"/ready",schemaPath:"#/properties/ready/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema33.properties.ready.type,parentSchema:schema33.properties.ready,data:data57};
if(vErrors === null){
vErrors = [err91];
}
else {
vErrors.push(err91);
}
errors++;
}
}
if(data.libvirt !== undefined){
let data61 = data.libvirt;
if(data61 && typeof data61 == "object" && !Array.isArray(data61)){
for(const key10 in data61){
if(!((key10 === "uri") || (key10 === "pool"))){
const err92 = {instancePath:instancePath+"/libvirt",schemaPath:"#/properties/libvirt/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key10},message:"must NOT have additional properties",schema:false,parentSchema:schema33.properties.libvirt,data:data61};
if(vErrors === null){
vErrors = [err92];
}
else {
vErrors.push(err92);
}
errors++;
}
}
if(data61.uri !== undefined){
let data62 = data61.uri;
if(typeof data62 === "string"){
if(!pattern26.test(data62)){
const err93 = {instancePath:instancePath+"/libvirt/uri",schemaPath:"#/properties/libvirt/properties/uri/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z][A-Za-z0-9+.-]*://[^\\s]*$"},message:"must match pattern \""+"^[A-Za-z][A-Za-z0-9+.-]*://[^\\s]*$"+"\"",schema:"^[A-Za-z][A-Za-z0-9+.-]*://[^\\s]*$",parentSchema:schema33.properties.libvirt.properties.uri,data:data62};
if(vErrors === null){
vErrors = [err93];
}
else {
vErrors.push(err93);
}
errors++;
}
}
else {
const err94 = {instancePath:instancePath+"/libvirt/uri",schemaPath:"#/properties/libvirt/properties/uri/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.libvirt.properties.uri.type,parentSchema:schema33.properties.libvirt.properties.uri,data:data62};
if(vErrors === null){
vErrors = [err94];
}
else {
vErrors.push(err94);
}
errors++;
}
}
if(data61.pool !== undefined){
let data63 = data61.pool;
if(typeof data63 === "string"){
if(!pattern27.test(data63)){
const err95 = {instancePath:instancePath+"/libvirt/pool",schemaPath:"#/properties/libvirt/properties/pool/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"+"\"",schema:"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$",parentSchema:schema33.properties.libvirt.properties.pool,data:data63};
if(vErrors === null){
vErrors = [err95];
}
else {
vErrors.push(err95);
}
errors++;
}
}
else {
const err96 = {instancePath:instancePath+"/libvirt/pool",schemaPath:"#/properties/libvirt/properties/pool/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.libvirt.properties.pool.type,parentSchema:schema33.properties.libvirt.properties.pool,data:data63};
if(vErrors === null){
vErrors = [err96];
}
else {
vErrors.push(err96);
}
errors++;
}
}
}
else {
const err97 = {instancePath:instancePath+"/libvirt",schemaPath:"#/properties/libvirt/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema33.properties.libvirt.type,parentSchema:schema33.properties.libvirt,data:data61};
if(vErrors === null){
vErrors = [err97];
}
else {
vErrors.push(err97);
}
errors++;
}
}
if(data.primary !== undefined){
let data64 = data.primary;
if(typeof data64 !== "boolean"){
const err98 = {instancePath:instancePath+"/primary",schemaPath:"#/properties/primary/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema33.properties.primary.type,parentSchema:schema33.properties.primary,data:data64};
if(vErrors === null){
vErrors = [err98];
}
else {
vErrors.push(err98);
}
errors++;
}
}
if(data.depends_on !== undefined){
let data65 = data.depends_on;
if(Array.isArray(data65)){
const len7 = data65.length;
for(let i7=0; i7<len7; i7++){
let data66 = data65[i7];
if(typeof data66 === "string"){
if(!pattern7.test(data66)){
const err99 = {instancePath:instancePath+"/depends_on/" + i7,schemaPath:"#/properties/depends_on/items/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"+"\"",schema:"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$",parentSchema:schema33.properties.depends_on.items,data:data66};
if(vErrors === null){
vErrors = [err99];
}
else {
vErrors.push(err99);
}
errors++;
}
}
else {
const err100 = {instancePath:instancePath+"/depends_on/" + i7,schemaPath:"#/properties/depends_on/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema33.properties.depends_on.items.type,parentSchema:schema33.properties.depends_on.items,data:data66};
if(vErrors === null){
vErrors = [err100];
}
else {
vErrors.push(err100);
}
errors++;
}
}
}
else {
const err101 = {instancePath:instancePath+"/depends_on",schemaPath:"#/properties/depends_on/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema33.properties.depends_on.type,parentSchema:schema33.properties.depends_on,data:data65};
if(vErrors === null){
vErrors = [err101];
}
else {
vErrors.push(err101);
}
errors++;
}
}
}
validate80.errors = vErrors;
return errors === 0;
}


function validate21(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!(func2.call(schema6.properties, key0))){
const err0 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema6,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
if(data.box !== undefined){
if(!(validate22(data.box, {instancePath:instancePath+"/box",parentData:data,parentDataProperty:"box",rootData}))){
vErrors = vErrors === null ? validate22.errors : vErrors.concat(validate22.errors);
errors = vErrors.length;
}
}
if(data.engine !== undefined){
if(!(validate24(data.engine, {instancePath:instancePath+"/engine",parentData:data,parentDataProperty:"engine",rootData}))){
vErrors = vErrors === null ? validate24.errors : vErrors.concat(validate24.errors);
errors = vErrors.length;
}
}
if(data.accel !== undefined){
if(!(validate26(data.accel, {instancePath:instancePath+"/accel",parentData:data,parentDataProperty:"accel",rootData}))){
vErrors = vErrors === null ? validate26.errors : vErrors.concat(validate26.errors);
errors = vErrors.length;
}
}
if(data.cpus !== undefined){
if(!(validate28(data.cpus, {instancePath:instancePath+"/cpus",parentData:data,parentDataProperty:"cpus",rootData}))){
vErrors = vErrors === null ? validate28.errors : vErrors.concat(validate28.errors);
errors = vErrors.length;
}
}
if(data.memory !== undefined){
if(!(validate30(data.memory, {instancePath:instancePath+"/memory",parentData:data,parentDataProperty:"memory",rootData}))){
vErrors = vErrors === null ? validate30.errors : vErrors.concat(validate30.errors);
errors = vErrors.length;
}
}
if(data.disk_size !== undefined){
if(!(validate32(data.disk_size, {instancePath:instancePath+"/disk_size",parentData:data,parentDataProperty:"disk_size",rootData}))){
vErrors = vErrors === null ? validate32.errors : vErrors.concat(validate32.errors);
errors = vErrors.length;
}
}
if(data.disks !== undefined){
if(!(validate34(data.disks, {instancePath:instancePath+"/disks",parentData:data,parentDataProperty:"disks",rootData}))){
vErrors = vErrors === null ? validate34.errors : vErrors.concat(validate34.errors);
errors = vErrors.length;
}
}
if(data.nics !== undefined){
if(!(validate38(data.nics, {instancePath:instancePath+"/nics",parentData:data,parentDataProperty:"nics",rootData}))){
vErrors = vErrors === null ? validate38.errors : vErrors.concat(validate38.errors);
errors = vErrors.length;
}
}
if(data.forwards !== undefined){
if(!(validate43(data.forwards, {instancePath:instancePath+"/forwards",parentData:data,parentDataProperty:"forwards",rootData}))){
vErrors = vErrors === null ? validate43.errors : vErrors.concat(validate43.errors);
errors = vErrors.length;
}
}
if(data.auto_forwards !== undefined){
if(!(validate48(data.auto_forwards, {instancePath:instancePath+"/auto_forwards",parentData:data,parentDataProperty:"auto_forwards",rootData}))){
vErrors = vErrors === null ? validate48.errors : vErrors.concat(validate48.errors);
errors = vErrors.length;
}
}
if(data.warm_start !== undefined){
if(!(validate50(data.warm_start, {instancePath:instancePath+"/warm_start",parentData:data,parentDataProperty:"warm_start",rootData}))){
vErrors = vErrors === null ? validate50.errors : vErrors.concat(validate50.errors);
errors = vErrors.length;
}
}
if(data.synced_folders !== undefined){
if(!(validate52(data.synced_folders, {instancePath:instancePath+"/synced_folders",parentData:data,parentDataProperty:"synced_folders",rootData}))){
vErrors = vErrors === null ? validate52.errors : vErrors.concat(validate52.errors);
errors = vErrors.length;
}
}
if(data.provision !== undefined){
if(!(validate56(data.provision, {instancePath:instancePath+"/provision",parentData:data,parentDataProperty:"provision",rootData}))){
vErrors = vErrors === null ? validate56.errors : vErrors.concat(validate56.errors);
errors = vErrors.length;
}
}
if(data.hostname !== undefined){
if(!(validate67(data.hostname, {instancePath:instancePath+"/hostname",parentData:data,parentDataProperty:"hostname",rootData}))){
vErrors = vErrors === null ? validate67.errors : vErrors.concat(validate67.errors);
errors = vErrors.length;
}
}
if(data.env !== undefined){
if(!(validate69(data.env, {instancePath:instancePath+"/env",parentData:data,parentDataProperty:"env",rootData}))){
vErrors = vErrors === null ? validate69.errors : vErrors.concat(validate69.errors);
errors = vErrors.length;
}
}
if(data.cmdline !== undefined){
if(!(validate71(data.cmdline, {instancePath:instancePath+"/cmdline",parentData:data,parentDataProperty:"cmdline",rootData}))){
vErrors = vErrors === null ? validate71.errors : vErrors.concat(validate71.errors);
errors = vErrors.length;
}
}
if(data.boot_timeout !== undefined){
if(!(validate73(data.boot_timeout, {instancePath:instancePath+"/boot_timeout",parentData:data,parentDataProperty:"boot_timeout",rootData}))){
vErrors = vErrors === null ? validate73.errors : vErrors.concat(validate73.errors);
errors = vErrors.length;
}
}
if(data.ready !== undefined){
if(!(validate75(data.ready, {instancePath:instancePath+"/ready",parentData:data,parentDataProperty:"ready",rootData}))){
vErrors = vErrors === null ? validate75.errors : vErrors.concat(validate75.errors);
errors = vErrors.length;
}
}
if(data.libvirt !== undefined){
if(!(validate78(data.libvirt, {instancePath:instancePath+"/libvirt",parentData:data,parentDataProperty:"libvirt",rootData}))){
vErrors = vErrors === null ? validate78.errors : vErrors.concat(validate78.errors);
errors = vErrors.length;
}
}
if(data.machines !== undefined){
let data19 = data.machines;
if(data19 && typeof data19 == "object" && !Array.isArray(data19)){
for(const key1 in data19){
const _errs24 = errors;
if(typeof key1 === "string"){
if(!pattern7.test(key1)){
const err1 = {instancePath:instancePath+"/machines",schemaPath:"#/properties/machines/propertyNames/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"+"\"",schema:"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$",parentSchema:schema6.properties.machines.propertyNames,data:key1,propertyName:key1};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
var valid1 = _errs24 === errors;
if(!valid1){
const err2 = {instancePath:instancePath+"/machines",schemaPath:"#/properties/machines/propertyNames",keyword:"propertyNames",params:{propertyName: key1},message:"property name must be valid",schema:schema6.properties.machines.propertyNames,parentSchema:schema6.properties.machines,data:data19};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
for(const key2 in data19){
if(!(validate80(data19[key2], {instancePath:instancePath+"/machines/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data19,parentDataProperty:key2,rootData}))){
vErrors = vErrors === null ? validate80.errors : vErrors.concat(validate80.errors);
errors = vErrors.length;
}
}
}
else {
const err3 = {instancePath:instancePath+"/machines",schemaPath:"#/properties/machines/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema6.properties.machines.type,parentSchema:schema6.properties.machines,data:data19};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data.defaults !== undefined){
if(!(validate80(data.defaults, {instancePath:instancePath+"/defaults",parentData:data,parentDataProperty:"defaults",rootData}))){
vErrors = vErrors === null ? validate80.errors : vErrors.concat(validate80.errors);
errors = vErrors.length;
}
}
}
else {
const err4 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema6.type,parentSchema:schema6,data};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
validate21.errors = vErrors;
return errors === 0;
}


// Warm start (`warm_start:`), core's half: where warm images live, and how a guest resumed from one
// becomes the machine it now is. The engine keeps the images (engines/builtin/warm/warm-image.ts);
// a resumed guest is the machine the image was taken of until the agent tells it otherwise:
//
// - hostname: set with `hostname` (and /etc/hostname where the box keeps one). /proc/cmdline still
//   shows the first machine's vm.hostname=, which nothing reads after boot.
// - MAC address: the engine's virtio-net already answers with this machine's MAC in its config
//   space and its NAT is this machine's; the guest's interface still has the old MAC it read at
//   probe, so each interface with an old MAC is given the new one (`ip link set address`).
// - IP address: every machine has a NAT of its own that hands the guest the same address, so the
//   lease the guest holds is this machine's too; its DHCP client renews it from this machine's NAT
//   when it is due (renewing now would only cost the guest a DHCP exchange and its script's forks).
// - random seed: host random bytes (hex, in the command's environment) written into /dev/urandom (mixed into the guest's pool, so two
//   machines resumed from one image stop sharing their random state), and a new /etc/machine-id
//   where the box has one.
// - SSH host key: the first machine's key is on the image's disk layer; a new one is made on the host
//   and put in place for dropbear, which is restarted to serve it (a box with OpenSSH makes its own
//   with ssh-keygen). The same command authorizes the machine's own ssh key, and when the host's key
//   was the one put in place `vm up` pins it: ssh is then set up without a second agent command.
// - synced folders: the image's 9p mounts are of the first machine's folders (its sessions were
//   taken over by this machine's servers on resume, engines/builtin/machine-runner.ts); they are
//   unmounted and this machine's folders mounted by tag where its Vmfile says.
// - forwards: host side, bound by this machine's engine at start as on any boot.
// - disk: the engine gave it an overlay of its own on the image's root disk layer.
// - what the kernel fixed at boot and cannot change stays the image's: /proc/cmdline (above) and
//   /proc/sys/kernel/random/boot_id, which the agent's hello reports; vm keys nothing on either.
// - clock: stepped to the host's with busybox `date -u -s @SECONDS`, as after `vm resume`
//   (suspend.ts stepGuestClock), in the same agent command as the rest.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { RuntimePaths, WarmImageRef } from '../../engines/engine.js';
import type { MachineConfig } from '../../model/machine-config.js';
import { withAgent } from '../lifecycle/guest/agent.js';

/** Bytes of host randomness written into the guest's pool. */
const SEED_BYTES = 64;

/**
 * A new ed25519 host key pair made on the host (a guest just resumed runs its crypto cold, slowly):
 * the private key in dropbear's format (string "ssh-ed25519", then a string of the 32-byte seed and
 * the 32-byte public key: dropbear's signkey_ed25519.c buf_put_ed25519_priv_key), and the public
 * key as an OpenSSH line (RFC 8709 section 4). A box with OpenSSH instead makes its own in the guest.
 */
export function hostKeyPair(): { dropbear: Buffer; publicLine: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const str = (b: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const name = Buffer.from('ssh-ed25519');
  return {
    dropbear: Buffer.concat([str(name), str(Buffer.concat([seed, pub]))]),
    publicLine: `ssh-ed25519 ${Buffer.concat([str(name), str(pub)]).toString('base64')}\n`,
  };
}

/** `bytes` as a printf format made of octal escapes only (a backslash and three octal digits a byte):
 *  printf(1), busybox ash's builtin among them, writes them back byte for byte, NULs included;
 *  nothing in it is a conversion. */
export function printfOctal(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += `\\${b.toString(8).padStart(3, '0')}`;
  return out;
}

const IDENTITY_SCRIPT = `
set -u
hn=$1 key=$2 mid=$3 auth=$4 now=$5; shift 5
fail=0
# The host's time (centiseconds) is of this script's start; the guest's uptime measures how long the
# script took until the clock is set (on a loaded host, seconds), so that is added to it.
read -r t0 _ </proc/uptime
# The secrets come in the environment (readable by root alone in /proc, unlike the arguments), and
# are dropped from it once used: VM_SEED the random seed (hex), VM_HOST_KEY the new host key as
# printf octal escapes and VM_HOST_KEY_PUB its public line (both empty when the host made none).
# A just-resumed guest runs its code in the interpreter until it is hot again, so every fork costs
# much, and so does every byte \`read\` takes (one system call each): builtins wherever they do, and
# short reads. The host key first: dropbear is stopped at once; its loop (the box's init: \`while :;
# do dropbear ...; sleep 1; done\`) starts it again with the new key once its \`sleep 1\` is cut
# short, which is done near the end (that sleep has surely begun by then); the script then waits
# for the new dropbear, so ssh answers once \`vm up\` is done.
old_sshd= loop=
if [ -n "$key" ] && [ -e "$key" ]; then
	priv=\${key%.pub}
	if [ -n "\${VM_HOST_KEY:-}" ] && command -v dropbearkey >/dev/null; then
		# written beside the old files and renamed over them: a reader sees the old key or the new one
		umask 077
		printf "$VM_HOST_KEY" >"$priv.tmp" && mv -f "$priv.tmp" "$priv" && umask 022 && printf '%s\\n' "$VM_HOST_KEY_PUB" >"$key.tmp" && mv -f "$key.tmp" "$key" && echo host-key-installed || fail=1
		umask 022
		read -r old_sshd 2>/dev/null </run/dropbear.pid && read -r -n 64 _ _ _ loop _ 2>/dev/null </proc/"$old_sshd"/stat
		[ -n "$old_sshd" ] && kill "$old_sshd" 2>/dev/null
	elif command -v ssh-keygen >/dev/null; then
		rm -f "$priv" "$key"
		ssh-keygen -q -t ed25519 -N '' -f "$priv" || fail=1
	fi
fi
unset VM_HOST_KEY VM_HOST_KEY_PUB
read -r t1 _ </proc/uptime
# /proc/uptime is seconds with two decimals: the hundredths go behind a 1 (the two 1s cancel) so that a leading 0 does not make them octal
date -u -s "@$(( (now + (\${t1%.*} - \${t0%.*}) * 100 + 1\${t1#*.} - 1\${t0#*.} + 50) / 100 ))" >/dev/null || { echo "cannot set the clock" >&2; fail=1; }
# the kernel's hostname through /proc (no fork), else hostname(1)
{ echo "$hn" >/proc/sys/kernel/hostname; } 2>/dev/null || hostname "$hn" || fail=1
[ -f /etc/hostname ] && echo "$hn" >/etc/hostname
[ -n "\${VM_SEED:-}" ] && echo "$VM_SEED" >/dev/urandom || fail=1
unset VM_SEED
[ -s /etc/machine-id ] && echo "$mid" >/etc/machine-id
n=$1; shift
while [ "$n" -gt 0 ]; do
	old=$1 new=$2; shift 2; n=$((n - 1))
	for d in /sys/class/net/*; do
		addr=; read -r addr <"$d/address" 2>/dev/null
		[ "$addr" = "$old" ] || continue
		ip link set dev "\${d##*/}" address "$new" || { echo "cannot set the MAC of \${d##*/}" >&2; fail=1; }
	done
done
n=$1; shift
while [ "$n" -gt 0 ]; do umount -l "$1" 2>/dev/null; shift; n=$((n - 1)); done
while [ $# -ge 3 ]; do
	tag=$1 path=$2 mode=$3; shift 3
	opts=trans=virtio,version=9p2000.L,msize=262144
	[ "$mode" = ro ] && opts="$opts,ro"
	mkdir -p "$path" && mount -t 9p -o "$opts" "$tag" "$path" || { echo "cannot mount $tag on $path" >&2; fail=1; }
done
# the machine's ssh key in root's authorized_keys, other keys kept (as ssh-access.ts does at every
# boot); last, for its umask; modes as the servers require, set by chmod where the folder or file
# was already there
if [ -n "$auth" ]; then
	umask 077
	home=
	while IFS=: read -r u _ _ _ _ h _; do [ "$u" = root ] && { home=$h; break; }; done </etc/passwd
	[ -n "$home" ] || home=/root
	if [ -d "$home/.ssh" ]; then chmod 700 "$home/.ssh"; else mkdir -p "$home/.ssh"; fi || fail=1
	f=$home/.ssh/authorized_keys
	if [ -e "$f" ]; then chmod 600 "$f" || fail=1; else : >"$f" || fail=1; fi
	have=
	while IFS= read -r line; do [ "$line" = "$auth" ] && have=1; done <"$f"
	[ -n "$have" ] || printf '%s\\n' "$auth" >>"$f" || { echo "cannot authorize the machine's ssh key" >&2; fail=1; }
fi
if [ -n "$old_sshd" ]; then
	# cut the loop's \`sleep 1\` short (unless it is over already): the loop's child named sleep,
	# among the processes made last (their pids up to the last one given, /proc/loadavg's last field)
	if [ -n "$loop" ] && [ "$loop" != 1 ]; then
		i=0 cut= now_sshd=$old_sshd
		while [ -z "$cut" ] && [ $i -lt 50 ]; do
			read -r now_sshd 2>/dev/null </run/dropbear.pid
			[ "$now_sshd" = "$old_sshd" ] || break
			last=; read -r _ _ _ _ last 2>/dev/null </proc/loadavg
			p=\${last:-0} k=0
			while [ -z "$cut" ] && [ "$p" -gt "$old_sshd" ] && [ $k -lt 64 ]; do
				c=; read -r c 2>/dev/null </proc/$p/comm
				if [ "$c" = sleep ]; then
					pp=; read -r -n 64 _ _ _ pp _ 2>/dev/null </proc/$p/stat
					[ "$pp" = "$loop" ] && kill "$p" 2>/dev/null && cut=1
				fi
				p=$((p - 1)) k=$((k + 1))
			done
			[ -n "$cut" ] || sleep 0.02
			i=$((i + 1))
		done
	fi
	i=0 now_sshd=$old_sshd
	while [ "$now_sshd" = "$old_sshd" ] && [ $i -lt 200 ]; do
		sleep 0.02; i=$((i + 1))
		read -r now_sshd 2>/dev/null </run/dropbear.pid
	done
	# vm up pins the new key and checks no more that ssh answers: say so when it may not
	[ "$now_sshd" != "$old_sshd" ] || { echo "dropbear did not start again with the new host key" >&2; fail=1; }
fi
exit $fail
`;

/** What becomeThisMachine did. */
export interface BecameThisMachine {
  /** For `vm up`'s output when some part failed; the machine runs on either way. */
  note?: string;
  /**
   * The guest's new ssh host key (an OpenSSH public key line) when it is the one made on the host
   * and the machine's key (`authorize`) was authorized: ssh is set up, nothing to read back.
   */
  hostKey?: string;
}

/**
 * Make the guest resumed from warm image `from` this machine (see the file comment for each part),
 * in one agent command. `o.authorize`: the machine's ssh public key line, put in root's
 * authorized_keys in the same command (what `vm up`'s network step does otherwise).
 */
export async function becomeThisMachine(config: MachineConfig, paths: RuntimePaths, from: WarmImageRef['from'], o: { authorize?: string } = {}): Promise<BecameThisMachine> {
  const macs = config.nics.flatMap((n, i) => {
    const old = from.macs[i];
    return old && old.toLowerCase() !== n.mac.toLowerCase() ? [old.toLowerCase(), n.mac.toLowerCase()] : [];
  });
  const argv = [
    'sh', '-c', IDENTITY_SCRIPT, 'vm-warm-start',
    config.hostname,
    config.box.ssh?.hostKey ?? '',
    randomBytes(16).toString('hex'),
    o.authorize ?? '',
    // the clock last of all, as close to the command's start as can be (suspend.ts stepGuestClock does the same alone)
    String(Math.round(Date.now() / 10)), // centiseconds
    String(macs.length / 2), ...macs,
    String(from.mounts.length), ...from.mounts.map((m) => m.guestPath),
    ...config.syncedFolders.flatMap((f) => [f.tag, f.guestPath, f.readOnly ? 'ro' : 'rw']),
  ];
  // The new host key and the seed go to the guest in the command's environment: not in its
  // arguments (which any guest process can read), not as files written first (an agent exchange
  // each), not on stdin (which the shell reads a byte per system call).
  const key = config.box.ssh ? hostKeyPair() : undefined;
  const env = {
    VM_SEED: randomBytes(SEED_BYTES).toString('hex'),
    VM_HOST_KEY: key ? printfOctal(key.dropbear) : '',
    VM_HOST_KEY_PUB: key ? key.publicLine.trim() : '',
  };
  try {
    const r = await withAgent(config.name, paths, 10_000, (agent) => agent.run({ argv, env, timeoutMs: 30_000 }));
    if ('code' in r.status && r.status.code === 0) {
      const installed = r.stdout.toString().split('\n').includes('host-key-installed');
      return installed && key && o.authorize ? { hostKey: key.publicLine.trim() } : {};
    }
    return { note: `machine '${config.name}' resumed from a warm image, but not all of it could be made its own: ${r.stderr.toString().trim() || JSON.stringify(r.status)}` };
  } catch (err) {
    return { note: `machine '${config.name}' resumed from a warm image, but the agent could not make it its own: ${(err as Error).message}` };
  }
}

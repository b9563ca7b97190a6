// Per-machine SSH client keys: an ed25519 pair made with node:crypto and written in OpenSSH's own
// formats, so no ssh-keygen is needed on the host. The private key file is OpenSSH's
// "openssh-key-v1" container, unencrypted (PROTOCOL.key in OpenSSH's source); the public key is the
// authorized_keys line (RFC 4253 section 6.6 wire encoding, RFC 8709 for ssh-ed25519).
import { generateKeyPairSync, randomBytes } from 'node:crypto';

export interface SshKeyPair {
  /** The private key file's text ("-----BEGIN OPENSSH PRIVATE KEY-----" ...). */
  privateKey: string;
  /** The public key as one authorized_keys line, without a newline: "ssh-ed25519 AAAA... comment". */
  publicKey: string;
}

const KEY_TYPE = 'ssh-ed25519';

/** An SSH `string`: uint32 length, then the bytes. */
function sshString(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

const uint32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** The public key blob: string "ssh-ed25519", string the 32-byte key (RFC 8709 section 4). */
function publicBlob(pub: Buffer): Buffer {
  return Buffer.concat([sshString(KEY_TYPE), sshString(pub)]);
}

/** A new ed25519 key pair; `comment` ends up after the public key and inside the private file. */
export function generateEd25519KeyPair(comment: string): SshKeyPair {
  if (/[\r\n]/.test(comment)) throw new Error('an ssh key comment cannot contain a line break');
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d!, 'base64url');
  const pub = Buffer.from(jwk.x!, 'base64url');
  if (seed.length !== 32 || pub.length !== 32) throw new Error('node:crypto gave an ed25519 key of an unexpected size');
  const blob = publicBlob(pub);
  // The private section: two equal check words (a wrong passphrase shows as a mismatch), then the
  // key (OpenSSH keeps the 64-byte seed || public form), the comment, and padding 1, 2, 3...
  // to the cipher's block size (8 for "none").
  const check = randomBytes(4);
  let section = Buffer.concat([check, check, sshString(KEY_TYPE), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString(comment)]);
  const pad = (8 - (section.length % 8)) % 8;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'), // cipher
    sshString('none'), // kdf
    sshString(''), // kdf options
    uint32(1), // number of keys
    sshString(blob),
    sshString(section),
  ]);
  const b64 = body.toString('base64').replace(/.{1,70}/g, '$&\n');
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey: `${KEY_TYPE} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`,
  };
}

/** Key types a pinned host key may have (what OpenSSH and dropbear servers offer). */
const HOST_KEY_TYPES = /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+={0,2}$/;

/**
 * The "TYPE BASE64" of a public host key file's first line (a `.pub` file: "TYPE BASE64 [comment]"),
 * or undefined when it does not hold one.
 */
export function parsePublicKeyLine(text: string): string | undefined {
  const line = text.split('\n').find((l) => l.trim() !== '');
  if (!line) return undefined;
  const [type, data] = line.trim().split(/\s+/);
  const key = `${type} ${data}`;
  if (!HOST_KEY_TYPES.test(key)) return undefined;
  // The blob must name the same type it is filed under.
  const blob = Buffer.from(data!, 'base64');
  if (blob.length < 4) return undefined;
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1') === type ? key : undefined;
}

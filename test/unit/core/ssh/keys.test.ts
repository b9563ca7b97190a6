// The per-machine key pair is written in OpenSSH's formats by our own code: OpenSSH's ssh-keygen
// must read the private file, derive the same public key from it, and sign with it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateEd25519KeyPair, parsePublicKeyLine } from '../../../../src/core/ssh/keys.js';

const hasKeygen = (() => {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
})();

describe('per-machine ssh keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-sshkey-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a different ed25519 pair each time, public line in authorized_keys form', () => {
    const a = generateEd25519KeyPair('vm web');
    const b = generateEd25519KeyPair('vm web');
    expect(a.publicKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]+ vm web$/);
    expect(a.publicKey).not.toBe(b.publicKey);
    expect(a.privateKey).not.toBe(b.privateKey);
    expect(a.privateKey.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----\n')).toBe(true);
  });

  it.skipIf(!hasKeygen)('ssh-keygen reads the private key, gives back the same public key and signs with it', () => {
    const k = generateEd25519KeyPair('vm test-machine');
    const key = join(dir, 'id_ed25519');
    writeFileSync(key, k.privateKey, { mode: 0o600 });
    const derived = execFileSync('ssh-keygen', ['-y', '-f', key], { encoding: 'utf8' }).trim();
    expect(derived).toBe(k.publicKey);
    // a signature made with the private key verifies against the public one
    const data = join(dir, 'data');
    writeFileSync(data, 'signed by the machine key\n');
    execFileSync('ssh-keygen', ['-Y', 'sign', '-q', '-f', key, '-n', 'file', data]);
    writeFileSync(join(dir, 'allowed'), `m ${k.publicKey}\n`);
    const out = execFileSync('ssh-keygen', ['-Y', 'verify', '-f', join(dir, 'allowed'), '-I', 'm', '-n', 'file', '-s', `${data}.sig`], {
      input: 'signed by the machine key\n',
      encoding: 'utf8',
    });
    expect(out).toContain('Good "file" signature for m');
  });

  it('parses a host key .pub line and refuses anything else', () => {
    const k = generateEd25519KeyPair('root@tiny');
    const [type, data] = k.publicKey.split(' ');
    expect(parsePublicKeyLine(`${k.publicKey}\n`)).toBe(`${type} ${data}`);
    expect(parsePublicKeyLine(`\n${type} ${data}\n`)).toBe(`${type} ${data}`);
    expect(parsePublicKeyLine('')).toBeUndefined();
    expect(parsePublicKeyLine('Public key portion is:\n')).toBeUndefined();
    // a blob that names another type than the line says
    expect(parsePublicKeyLine(`ssh-rsa ${data}`)).toBeUndefined();
    expect(parsePublicKeyLine(`${type} not*base64`)).toBeUndefined();
  });
});

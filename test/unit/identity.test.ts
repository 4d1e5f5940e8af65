import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprint, generateIdentity, normalizeFingerprint, readIdentity, writeIdentity } from '../../shared/identity.js';
import { sodiumNacl } from '../../shared/crypto/sodium.js';
import { tweetNacl } from '../../shared/crypto/tweetnacl.js';
import { signLabelled, verifyLabelled } from '../../shared/crypto/labels.js';

test('key file is written 0600 and read back to the same identity', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dr-id-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const identity = generateIdentity();
  const path = await writeIdentity(dir, identity);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  const back = await readIdentity(dir);
  assert.deepEqual(back.signKey, identity.signKey);
  assert.deepEqual(back.boxKey, identity.boxKey);
  assert.equal(fingerprint(back), fingerprint(identity));
});

test('a key file readable by others is refused with a fix', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dr-id-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = await writeIdentity(dir, generateIdentity());
  await chmod(path, 0o644);
  await assert.rejects(readIdentity(dir), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'KEY_FILE_INSECURE');
    assert.match(error.message, /chmod 600/);
    return true;
  });
});

test('an existing key is never overwritten', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dr-id-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeIdentity(dir, generateIdentity());
  await assert.rejects(writeIdentity(dir, generateIdentity()), { code: 'KEY_FILE_EXISTS' });
});

test('fingerprint covers both keys and normalises typed input', () => {
  const a = generateIdentity();
  const b = { ...a, boxKey: generateIdentity().boxKey };
  const fa = fingerprint(a);
  assert.match(fa, /^DR1:([A-Z2-7]{4}-){7}[A-Z2-7]{4}$/);
  assert.notEqual(fa, fingerprint(b));
  assert.equal(normalizeFingerprint(fa.toLowerCase().replace(/-/g, '')), fa);
  assert.throws(() => normalizeFingerprint('DR1:nope'), { code: 'FINGERPRINT_MALFORMED' });
});

test('a signature for one purpose does not verify for another, across implementations', () => {
  const keys = sodiumNacl.signKeyPair();
  const message = new TextEncoder().encode('job 42');
  const signature = signLabelled(sodiumNacl, 'result', message, keys.secretKey);
  assert.ok(verifyLabelled(tweetNacl, 'result', message, signature, keys.publicKey));
  assert.ok(!verifyLabelled(sodiumNacl, 'recipients', message, signature, keys.publicKey));
  const portable = signLabelled(tweetNacl, 'recipients', message, keys.secretKey);
  assert.ok(verifyLabelled(sodiumNacl, 'recipients', message, portable, keys.publicKey));
  assert.deepEqual(portable, signLabelled(sodiumNacl, 'recipients', message, keys.secretKey));
});

test('box and secretbox interoperate between libsodium and tweetnacl', () => {
  const alice = sodiumNacl.boxKeyPair();
  const bob = tweetNacl.boxKeyPair();
  const nonce = sodiumNacl.randomBytes(24);
  const message = new TextEncoder().encode('embargoed');
  const sealed = sodiumNacl.box(message, nonce, bob.publicKey, alice.secretKey);
  assert.deepEqual(tweetNacl.boxOpen(sealed, nonce, alice.publicKey, bob.secretKey), message);
  const key = sodiumNacl.randomBytes(32);
  const boxed = tweetNacl.secretbox(message, nonce, key);
  assert.deepEqual(sodiumNacl.secretboxOpen(boxed, nonce, key), message);
  boxed[3]! ^= 1;
  assert.equal(sodiumNacl.secretboxOpen(boxed, nonce, key), null);
  assert.deepEqual(sodiumNacl.scalarMult(alice.secretKey, bob.publicKey), tweetNacl.scalarMult(bob.secretKey, alice.publicKey));
});

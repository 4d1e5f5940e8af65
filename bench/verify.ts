// Ed25519 verifications per second: libsodium (sodium-native), tweetnacl and Node's own, on the
// same signed message in the same run. Result ingest is bounded by this figure.
import { createPublicKey, verify } from 'node:crypto';
import { sodiumNacl } from '../shared/crypto/sodium.js';
import { tweetNacl } from '../shared/crypto/tweetnacl.js';
import { round, seconds } from './measure.js';

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

async function perSecond(count: number, fn: () => boolean): Promise<number> {
  let ok = true;
  const elapsed = await seconds(() => {
    for (let i = 0; i < count; i++) ok = fn() && ok;
  });
  if (!ok) throw new Error('A signature failed to verify during the benchmark: the implementations disagree');
  return count / elapsed;
}

export async function benchVerify(): Promise<Record<string, unknown>> {
  const keys = sodiumNacl.signKeyPair();
  const message = sodiumNacl.randomBytes(600);
  const signature = sodiumNacl.signDetached(message, keys.secretKey);
  const nodeKey = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, keys.publicKey]), format: 'der', type: 'spki' });
  const libsodium = await perSecond(20000, () => sodiumNacl.verifyDetached(signature, message, keys.publicKey));
  const tweetnacl = await perSecond(300, () => tweetNacl.verifyDetached(signature, message, keys.publicKey));
  const node = await perSecond(10000, () => verify(null, message, nodeKey, signature));
  return {
    name: 'Ed25519 verify, 600-byte message',
    libsodium_per_s: round(libsodium, 0),
    tweetnacl_per_s: round(tweetnacl, 0),
    node_per_s: round(node, 0),
    libsodium_ratio_to_node: round(libsodium / node, 2),
    tweetnacl_ratio_to_node: round(tweetnacl / node, 3),
  };
}

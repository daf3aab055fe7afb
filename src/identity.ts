/**
 * The node's libp2p identity key, kept in the store (encrypted at rest), so
 * the peer id survives restarts.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { Store } from './store/index.ts'
import type { AbortOptions, PrivateKey } from '@libp2p/interface'

export async function loadOrCreateIdentity (store: Store, options: AbortOptions = {}): Promise<PrivateKey> {
  const stored = await store.getIdentity(options)

  if (stored != null) {
    return privateKeyFromProtobuf(stored)
  }

  const key = await generateKeyPair('Ed25519')
  await store.putIdentity(privateKeyToProtobuf(key), options)
  return key
}

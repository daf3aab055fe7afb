/**
 * Fresh identities for tests: an Ed25519 key pair and the peer id it makes.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export interface TestPeer {
  key: PrivateKey
  id: PeerId
}

/** A new Ed25519 key and its peer id */
export async function newPeer (): Promise<TestPeer> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key) }
}

/** The string form of a new peer's id, for where only an id is needed */
export async function newPeerId (): Promise<string> {
  return (await newPeer()).id.toString()
}

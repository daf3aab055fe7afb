/**
 * Registration without a network: a new identity in an empty data dir, its
 * key file protected by a passphrase or not. The store is opened once and
 * closed again; nothing listens. Loaded lazily (see index.ts), so that faces
 * which only parse arguments do not load LevelDB.
 */
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadOrCreateIdentity } from '../identity.ts'
import { inspectDataDir } from '../store/data-dir.ts'
import { createStore } from '../store/index.ts'
import { DataDirNotEmptyError } from './errors.ts'
import type { AccountInit, CreatedAccount } from './index.ts'
import type { AbortOptions } from '@libp2p/interface'

export async function createAccount (init: AccountInit, options: AbortOptions = {}): Promise<CreatedAccount> {
  if (init.passphrase === '') {
    throw new TypeError('passphrase must be a non-empty string when given')
  }

  const { state } = await inspectDataDir(init.dataDir, options)

  if (state !== 'empty') {
    throw new DataDirNotEmptyError(`data dir ${init.dataDir} already holds an account`)
  }

  const store = createStore({ dataDir: init.dataDir, passphrase: init.passphrase, logger: defaultLogger() })
  await store.open(options)

  try {
    const key = await loadOrCreateIdentity(store, options)
    return { peerId: peerIdFromPrivateKey(key).toString() }
  } finally {
    await store.close()
  }
}

/**
 * Protected data dirs at the lowest scrypt cost the key file reader accepts
 * (SCRYPT_MIN_N), for tests about something other than scrypt: every open
 * of such a data dir, and every passphrase tried on it, derives in about
 * 60 ms instead of the half second of the real cost (N = 2^17), which a
 * test opening a store a dozen times pays a dozen times.
 *
 * The cost is the key file's own (it records N, r and p), so nothing in
 * src/ is switched: the data dir is created unprotected and then protected
 * through passwd's re-wrap at that cost (`rewrapKeyFile`'s `params`, its
 * test hook). A store, `init` or `import` that creates a protected data dir
 * itself still uses the real cost, and the tests of those paths keep it.
 */
import { createStore } from '../../src/store/index.ts'
import { rewrapKeyFile } from '../../src/store/passwd.ts'

/** The cheapest scrypt cost a key file may have: 16 MiB, about 60 ms a derivation */
export const FAST_SCRYPT = Object.freeze({ N: 2 ** 14, r: 8, p: 1 })

/**
 * Protects `dataDir` by `passphrase` at FAST_SCRYPT: an empty or missing
 * data dir is created (unprotected) first, an unprotected one keeps what it
 * holds. Stores then open it with the passphrase as usual.
 */
export async function protectCheaply (dataDir: string, passphrase: string): Promise<void> {
  const store = createStore({ dataDir })
  await store.open()
  await store.close()
  await rewrapKeyFile(dataDir, undefined, passphrase, { params: FAST_SCRYPT })
}

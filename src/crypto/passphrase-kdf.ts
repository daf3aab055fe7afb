/**
 * A 32-byte key from a passphrase: scrypt over the passphrase's NFC form in
 * UTF-8, so the same text typed another way (a precomposed or a combining
 * accent) is the same passphrase. The key file wraps the data key under it,
 * and the backup archive derives its key from it; each caller brings its own
 * cost and bounds (the key file's are in src/store/constants.ts, and the
 * archive takes the same). Pure: no I/O.
 */
import { scrypt } from 'node:crypto'
import { AES_KEY_LENGTH } from './aead.ts'

export interface ScryptParams {
  N: number
  r: number
  p: number
}

/** What a reader accepts, so that a crafted file cannot demand unbounded work */
export interface ScryptBounds {
  minN: number
  maxP: number
  /** bytes: 128 * N * r + 128 * r * p */
  maxMemory: number
  /** scrypt's work, in units of 128 * N * r * p bytes mixed: p multiplies it at no memory cost */
  maxWork: number
}

/** The memory scrypt takes with `params`, in bytes */
function scryptMemory (params: ScryptParams): number {
  return 128 * params.N * params.r + 128 * params.r * params.p
}

/**
 * N a power of two at least `minN` and below 2^(16 r) (node's own rule, so
 * that scrypt never throws on what passed here), r at least 1, p from 1 to
 * `maxP`, memory within `maxMemory` and work within `maxWork`: a crafted
 * file can make a reader wait no longer than its bounds say.
 */
export function scryptParamsValid (params: ScryptParams, bounds: ScryptBounds): boolean {
  const { N, r, p } = params
  return Number.isSafeInteger(N) && N >= bounds.minN && (N & (N - 1)) === 0 &&
    Number.isSafeInteger(r) && r >= 1 && r <= 64 && Math.log2(N) < 16 * r &&
    Number.isSafeInteger(p) && p >= 1 && p <= bounds.maxP &&
    scryptMemory(params) <= bounds.maxMemory &&
    128 * N * r * p <= bounds.maxWork
}

/**
 * scrypt(NFC(passphrase), salt) to AES_KEY_LENGTH bytes; the caller zeroes
 * the result. The parameters are the caller's to validate (scryptParamsValid).
 * scrypt runs on libuv's pool and cannot be interrupted: the signal is
 * checked before and after.
 */
export async function derivePassphraseKey (passphrase: string, salt: Uint8Array, params: ScryptParams, options: { signal?: AbortSignal } = {}): Promise<Buffer> {
  options.signal?.throwIfAborted()
  const secret = new TextEncoder().encode(passphrase.normalize('NFC'))
  try {
    const key = await new Promise<Buffer>((resolve, reject) => {
      scrypt(secret, salt, AES_KEY_LENGTH, { N: params.N, r: params.r, p: params.p, maxmem: scryptMemory(params) + 1024 * 1024 }, (err, derived) => {
        if (err != null) {
          reject(err)
        } else {
          resolve(derived)
        }
      })
    })
    if (options.signal?.aborted === true) {
      key.fill(0)
      options.signal.throwIfAborted()
    }
    return key
  } finally {
    secret.fill(0)
  }
}

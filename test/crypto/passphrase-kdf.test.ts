/**
 * The passphrase KDF the key file and the archive share: scrypt over the
 * NFC form in UTF-8 (checked against node's scryptSync directly), the
 * parameter bounds, and the signal.
 */
import assert from 'node:assert/strict'
import { scryptSync } from 'node:crypto'
import { describe, it } from 'node:test'
import { derivePassphraseKey, scryptParamsValid } from '../../src/crypto/passphrase-kdf.ts'
import { SCRYPT_BOUNDS } from '../../src/store/keyfile.ts'

const FAST = { N: 2 ** 14, r: 8, p: 1 }
const BOUNDS = { minN: 2 ** 14, maxP: 16, maxMemory: 512 * 1024 * 1024, maxWork: 512 * 1024 * 1024 }
const SALT = new Uint8Array(16).fill(3)

void describe('passphrase KDF', () => {
  void it('is scrypt over the NFC form of the passphrase, 32 bytes', async () => {
    const key = await derivePassphraseKey('cafe\u0301', SALT, FAST)
    assert.deepEqual(key, scryptSync(Buffer.from('caf\u00e9', 'utf8'), SALT, 32, FAST))
    assert.deepEqual(await derivePassphraseKey('caf\u00e9', SALT, FAST), key)
    assert.notDeepEqual(await derivePassphraseKey('cafe', SALT, FAST), key)
  })

  void it('bounds the cost: N a power of two from minN, p up to maxP, memory up to maxMemory', () => {
    assert.ok(scryptParamsValid(FAST, BOUNDS))
    assert.ok(scryptParamsValid({ N: 2 ** 17, r: 8, p: 1 }, BOUNDS))
    for (const params of [{ N: 2 ** 13, r: 8, p: 1 }, { N: 3 * 2 ** 14, r: 8, p: 1 }, { N: 2 ** 14, r: 0, p: 1 }, { N: 2 ** 14, r: 8, p: 17 },
      { N: 2 ** 20, r: 8, p: 1 }, { N: 2 ** 14, r: 1.5, p: 1 }, { N: Number.NaN, r: 8, p: 1 }]) {
      assert.equal(scryptParamsValid(params, BOUNDS), false, JSON.stringify(params))
    }
  })

  void it('bounds the work a crafted file can demand, and never passes what scrypt itself refuses', async () => {
    // the key file's and the archive's bounds: the default and twice its work, nothing that takes longer
    assert.ok(scryptParamsValid({ N: 2 ** 17, r: 8, p: 1 }, SCRYPT_BOUNDS))
    assert.ok(scryptParamsValid({ N: 2 ** 18, r: 8, p: 1 }, SCRYPT_BOUNDS))
    for (const params of [{ N: 2 ** 14, r: 255, p: 16 }, { N: 2 ** 17, r: 8, p: 4 }, { N: 2 ** 19, r: 8, p: 1 }, { N: 2 ** 16, r: 64, p: 1 }]) {
      assert.equal(scryptParamsValid(params, SCRYPT_BOUNDS), false, JSON.stringify(params))
    }
    // node refuses N >= 2^(16 r): such parameters are invalid here, not a RangeError later
    assert.equal(scryptParamsValid({ N: 2 ** 16, r: 1, p: 1 }, { ...BOUNDS, minN: 2 }), false)
    assert.ok(scryptParamsValid({ N: 2 ** 15, r: 1, p: 1 }, { ...BOUNDS, minN: 2 }))
    await derivePassphraseKey('x', SALT, { N: 2 ** 15, r: 1, p: 1 })
  })

  void it('an aborted signal stops it before scrypt runs', async () => {
    await assert.rejects(derivePassphraseKey('x', SALT, FAST, { signal: AbortSignal.abort() }), { name: 'AbortError' })
  })
})

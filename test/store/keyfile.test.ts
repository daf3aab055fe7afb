/**
 * The data-key file codec: round trips, strict validation, and that no
 * change to a file ever yields a different key.
 */
import assert from 'node:assert/strict'
import { createDecipheriv, randomBytes, scryptSync } from 'node:crypto'
import { readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { CorruptKeyFileError, WrongPassphraseError } from '../../src/store/errors.ts'
import { decodeKeyFile, encodeKeyFile } from '../../src/store/keyfile.ts'
import { createKeyFile, readKeyFile, removeKeyFileTemps, replaceKeyFile } from '../../src/store/keyfile-io.ts'
import { fixture } from './helpers.ts'

/** The cheapest cost the decoder accepts, to keep the tests fast */
const FAST = { N: 2 ** 14, r: 8, p: 1 }
const PASSPHRASE = 'hunter2 but longer'

const encoder = new TextEncoder()
const json = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value))
const parse = (bytes: Uint8Array): Record<string, unknown> => JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>

void describe('key file codec', () => {
  void it('round-trips a raw key and a passphrase-wrapped key', async () => {
    const key = new Uint8Array(randomBytes(32))
    assert.deepEqual(await decodeKeyFile(await encodeKeyFile(key)), key)
    const wrapped = await encodeKeyFile(key, PASSPHRASE, FAST)
    assert.deepEqual(await decodeKeyFile(wrapped, PASSPHRASE), key)
    assert.equal(Buffer.from(wrapped).includes(Buffer.from(key).toString('base64')), false)
    // the same passphrase in another Unicode normalisation form
    const accented = await encodeKeyFile(key, 'caf\u00e9', FAST)
    assert.deepEqual(await decodeKeyFile(accented, 'cafe\u0301'), key)
  })

  void it('still reads a key file written before the move onto crypto/aead.ts', async () => {
    const file = '{"format":"securechat-key","version":1,"kdf":"scrypt","n":16384,"r":8,"p":1,' +
      '"salt":"bMdeJMVb0u6ik1MtPpoLdA==","nonce":"6z5fJ+hUp83GOItm",' +
      '"wrapped":"Pt/oRuZH1lm/BBpYC4+EyA9k0KxmwY07W+PoGJJksb+SczxbqLjWFU7VflxbrYYq"}\n'
    const key = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i)
    assert.deepEqual(await decodeKeyFile(encoder.encode(file), 'golden passphrase'), key)
    await assert.rejects(decodeKeyFile(encoder.encode(file), 'golden passphrasE'), WrongPassphraseError)
  })

  void it('wraps as documented: scrypt, then AES-256-GCM over the key with the parameters as AAD', async () => {
    const key = new Uint8Array(randomBytes(32))
    const file = parse(await encodeKeyFile(key, PASSPHRASE, FAST))
    const b64 = (field: unknown): Buffer => Buffer.from(field as string, 'base64')
    const wrappingKey = scryptSync(PASSPHRASE, b64(file.salt), 32, { N: FAST.N, r: FAST.r, p: FAST.p })
    const wrapped = b64(file.wrapped)
    const decipher = createDecipheriv('aes-256-gcm', wrappingKey, b64(file.nonce), { authTagLength: 16 })
    decipher.setAAD(encoder.encode(`securechat-key/1/scrypt/${FAST.N}/${FAST.r}/${FAST.p}`))
    decipher.setAuthTag(wrapped.subarray(32))
    assert.deepEqual(new Uint8Array(Buffer.concat([decipher.update(wrapped.subarray(0, 32)), decipher.final()])), key)
  })

  void it('uses the default scrypt cost', async () => {
    const file = parse(await encodeKeyFile(new Uint8Array(32), PASSPHRASE))
    assert.deepEqual([file.n, file.r, file.p], [2 ** 17, 8, 1])
  })

  void it('tells a wrong or missing passphrase from a corrupt file', async () => {
    const key = new Uint8Array(randomBytes(32))
    const wrapped = await encodeKeyFile(key, PASSPHRASE, FAST)
    await assert.rejects(decodeKeyFile(wrapped, 'not it'), WrongPassphraseError)
    await assert.rejects(decodeKeyFile(wrapped), WrongPassphraseError)
    await assert.rejects(decodeKeyFile(await encodeKeyFile(key), PASSPHRASE), WrongPassphraseError)
    await assert.rejects(decodeKeyFile(wrapped, ''), TypeError)
    await assert.rejects(encodeKeyFile(key, ''), TypeError)
    await assert.rejects(encodeKeyFile(new Uint8Array(31)), TypeError)
  })

  void it('validates every field strictly', async () => {
    const raw = parse(await encodeKeyFile(new Uint8Array(32)))
    const wrapped = parse(await encodeKeyFile(new Uint8Array(32), PASSPHRASE, FAST))
    const bad: Array<Record<string, unknown> | string> = [
      '', 'null', '[]', '"x"', '{', 'ÿ',
      { ...raw, format: 'other' },
      { ...raw, version: 2 },
      { ...raw, kdf: 'argon2' },
      { ...raw, extra: true },
      { format: raw.format, version: raw.version, kdf: raw.kdf },
      { ...raw, key: (raw.key as string).slice(4) },
      { ...raw, key: (raw.key as string).replace(/=$/, '') },
      { ...raw, key: ` ${raw.key as string}` },
      { ...raw, key: 42 },
      { ...wrapped, n: 3 ** 10 },
      { ...wrapped, n: 2 ** 10 },
      { ...wrapped, n: 2 ** 22 },
      { ...wrapped, r: 0 },
      { ...wrapped, p: 1000 },
      { ...wrapped, n: '16384' },
      { ...wrapped, salt: Buffer.alloc(8).toString('base64') },
      { ...wrapped, nonce: 'AAAA' },
      { ...wrapped, wrapped: Buffer.alloc(32).toString('base64') },
      { ...wrapped, key: raw.key }
    ]
    for (const file of bad) {
      const bytes = typeof file === 'string' ? encoder.encode(file) : json(file)
      await assert.rejects(decodeKeyFile(bytes, PASSPHRASE), CorruptKeyFileError, JSON.stringify(file))
      await assert.rejects(decodeKeyFile(bytes), CorruptKeyFileError, JSON.stringify(file))
    }
  })

  void it('never yields another key from a changed or truncated wrapped file', async () => {
    // (a raw key file is not authenticated: a changed key there is caught by the
    // store's keycheck record, see at-rest.test.ts)
    const key = new Uint8Array(randomBytes(32))
    const wrapped = await encodeKeyFile(key, PASSPHRASE, FAST)
    const mutation = fc.record({ at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }), cut: fc.boolean() })
    await fc.assert(fc.asyncProperty(mutation, async ({ at, mask, cut }) => {
      const index = at % wrapped.length
      const bytes = cut ? wrapped.slice(0, index) : Uint8Array.from(wrapped, (b, i) => i === index ? b ^ mask : b)
      try {
        // e.g. the trailing newline turned into other whitespace
        assert.deepEqual(await decodeKeyFile(bytes, PASSPHRASE), key)
      } catch (err) {
        assert.ok(err instanceof CorruptKeyFileError || err instanceof WrongPassphraseError, String(err))
      }
    }), { numRuns: 60 })
  })

  void it('throws only CorruptKeyFileError for arbitrary bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.json().map(j => encoder.encode(j))), async bytes => {
      await assert.rejects(decodeKeyFile(bytes), CorruptKeyFileError)
    }))
  })
})

void describe('key file on disk', () => {
  void it('creates only where there is none, replaces atomically, mode 0600, and reads back', async t => {
    const fx = await fixture(t)
    const path = join(fx.root, 'securechat.key')
    assert.equal(await readKeyFile(path), undefined)
    await createKeyFile(path, encoder.encode('one'))
    await assert.rejects(createKeyFile(path, encoder.encode('other')), { code: 'EEXIST' })
    assert.equal(new TextDecoder().decode((await readKeyFile(path))?.bytes), 'one')
    const steps: string[] = []
    await replaceKeyFile(path, encoder.encode('two'), step => steps.push(step))
    assert.deepEqual(steps, ['temp-written', 'temp-synced', 'renamed', 'dir-synced'])
    const read = await readKeyFile(path)
    assert.equal(new TextDecoder().decode(read?.bytes), 'two')
    assert.equal(read?.mode, 0o600)
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    // no temp file left behind, also by the refused create
    assert.deepEqual(await readdir(fx.root), ['securechat.key'])
  })

  void it('removes only its own temp files', async t => {
    const fx = await fixture(t)
    const path = join(fx.root, 'securechat.key')
    await createKeyFile(path, encoder.encode('key'))
    const names = ['securechat.key.0123456789ab.tmp', 'securechat.key.tmp', 'securechat.key.0123456789AB.tmp', 'other.0123456789ab.tmp', 'securechat.key.0123456789abc.tmp']
    for (const name of names) {
      await writeFile(join(fx.root, name), 'x')
    }
    await removeKeyFileTemps(path)
    assert.deepEqual((await readdir(fx.root)).sort(), ['securechat.key', ...names.slice(1)].sort())
  })

  void it('refuses an oversized file or a directory', async t => {
    const fx = await fixture(t)
    const path = join(fx.root, 'big.key')
    await writeFile(path, Buffer.alloc(10_000, 0x20))
    await assert.rejects(readKeyFile(path), CorruptKeyFileError)
    await assert.rejects(readKeyFile(fx.root), CorruptKeyFileError)
  })
})

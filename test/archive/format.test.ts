/**
 * The archive format end to end in memory: round trips (one frame, many
 * frames, frame-sized records), the header as docs/PROTOCOL.md describes it
 * (checked with node:crypto directly, not through our code), the default
 * cost, and the passphrase: a wrong one, none, another Unicode form.
 */
import assert from 'node:assert/strict'
import { createDecipheriv, createHash, hkdfSync, scryptSync } from 'node:crypto'
import { describe, it } from 'node:test'
import { checkArchivePassphrase, openArchive, readArchiveHeader, sealArchive } from '../../src/archive/index.ts'
import { FAST, HEADER, PASSPHRASE, chunked, frames, iterate, open, sampleRecords, seal } from './helpers.ts'
import type { StoreRecord } from '../../src/store/index.ts'

void describe('archive format', () => {
  void it('round-trips every kind of record, in one frame and in many, read in any chunk size', async () => {
    const { records } = await sampleRecords()
    const one = await seal(records)
    assert.equal(frames(one).length, 1)
    assert.deepEqual(await open(one), records)

    const many = await seal(records, { frameSize: 17 })
    assert.ok(frames(many).length > 20, `${frames(many).length} frames`)
    assert.deepEqual(await open(many), records)
    for (const size of [1, 4, 79, 80, 1000]) {
      const read = []
      for await (const record of await openArchive(chunked(many, size), PASSPHRASE)) {
        read.push(record)
      }
      assert.deepEqual(read, records, `chunks of ${size}`)
    }
  })

  void it('a plaintext that fills its frames exactly ends in a full last frame, not an empty one', async () => {
    const { records } = await sampleRecords()
    const [identity, contact] = records as [StoreRecord, StoreRecord]
    const message = records.find(r => r.type === 'message') as Extract<StoreRecord, { type: 'message' }>
    // a text length for which the plaintext divides into three frames
    for (let length = 0; ; length++) {
      const sample = [identity, contact, { ...message, message: { ...message.message, text: 'x'.repeat(length) } }]
      const [single] = frames(await seal(sample))
      assert.ok(single != null)
      const plaintext = single.end - single.start - 4 - 16
      if (plaintext % 3 !== 0) {
        continue
      }
      const archive = await seal(sample, { frameSize: plaintext / 3 })
      assert.deepEqual(frames(archive).map(f => f.end - f.start - 4 - 16), [plaintext / 3, plaintext / 3, plaintext / 3])
      assert.deepEqual(await open(archive), sample)
      return
    }
  })

  void it('lays out the header as documented, and seals frame 0 as the last one with AAD header ‖ 1', async () => {
    const { records } = await sampleRecords()
    const archive = await seal(records.slice(0, 1))
    const header = archive.subarray(0, HEADER)
    const view = new DataView(archive.buffer, archive.byteOffset)
    assert.equal(Buffer.from(header.subarray(0, 18)).toString('ascii'), 'securechat-archive')
    assert.equal(header[18], 3)
    assert.deepEqual([view.getUint32(19), view.getUint32(23), view.getUint32(27)], [FAST.N, FAST.r, FAST.p])
    const salt = header.subarray(31, 47)
    assert.deepEqual(header.subarray(63, 79), new Uint8Array(createHash('sha256').update(header.subarray(0, 63)).digest().subarray(0, 16)))

    const secret = scryptSync(Buffer.from(PASSPHRASE.normalize('NFC'), 'utf8'), salt, 32, FAST)
    assert.deepEqual(header.subarray(47, 63), new Uint8Array(hkdfSync('sha256', secret, salt, 'securechat-archive v1 key check', 16)))
    const key = Buffer.from(hkdfSync('sha256', secret, salt, 'securechat-archive v1 frame key', 32))

    const [frame] = frames(archive)
    assert.ok(frame != null && frame.end === archive.byteLength)
    const sealed = archive.subarray(frame.start + 4, frame.end)
    const decipher = createDecipheriv('aes-256-gcm', key, new Uint8Array(12), { authTagLength: 16 })
    decipher.setAAD(Buffer.concat([header, Buffer.from([1])]))
    decipher.setAuthTag(sealed.subarray(sealed.byteLength - 16))
    const plaintext = Buffer.concat([decipher.update(sealed.subarray(0, sealed.byteLength - 16)), decipher.final()])
    const identity = records[0] as Extract<StoreRecord, { type: 'identity' }>
    // varint length, then field 1 (identity, length-delimited) holding field 1 (key, bytes)
    assert.deepEqual(plaintext, Buffer.concat([Buffer.from([identity.key.byteLength + 4, 0x0a, identity.key.byteLength + 2, 0x0a, identity.key.byteLength]), identity.key]))
  })

  void it('numbers frames 0, 1, 2 ... as 12-byte big-endian nonces, the flag only on the last', async () => {
    const { records } = await sampleRecords()
    const archive = await seal(records, { frameSize: 64 })
    const header = archive.subarray(0, HEADER)
    const salt = header.subarray(31, 47)
    const secret = scryptSync(Buffer.from(PASSPHRASE, 'utf8'), salt, 32, FAST)
    const key = Buffer.from(hkdfSync('sha256', secret, salt, 'securechat-archive v1 frame key', 32))
    const all = frames(archive)
    all.forEach((frame, index) => {
      const nonce = Buffer.alloc(12)
      nonce.writeUInt32BE(index, 8)
      const sealed = archive.subarray(frame.start + 4, frame.end)
      const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 })
      decipher.setAAD(Buffer.concat([header, Buffer.from([index === all.length - 1 ? 1 : 0])]))
      decipher.setAuthTag(sealed.subarray(sealed.byteLength - 16))
      decipher.update(sealed.subarray(0, sealed.byteLength - 16))
      assert.doesNotThrow(() => decipher.final(), `frame ${index}`)
    })
  })

  void it('uses the key file\'s scrypt cost by default, and a fresh salt (so a fresh key) per archive', async () => {
    const { records } = await sampleRecords()
    const chunks: Uint8Array[] = []
    for await (const chunk of sealArchive(iterate(records.slice(0, 1)), PASSPHRASE)) {
      chunks.push(chunk)
    }
    assert.deepEqual((await readArchiveHeader(iterate(chunks))).params, { N: 2 ** 17, r: 8, p: 1 })
    const a = await seal(records)
    const b = await seal(records)
    assert.notDeepEqual(a.subarray(31, 47), b.subarray(31, 47))
    assert.notDeepEqual(a.subarray(HEADER), b.subarray(HEADER))
  })

  void it('a wrong passphrase is WrongPassphraseError, found from the header alone; another Unicode form of the right one opens it', async () => {
    const { records } = await sampleRecords()
    const archive = await seal(records, { passphrase: 'caf\u00e9 au lait' })
    await assert.rejects(open(archive, 'cafe au lait'), { name: 'WrongPassphraseError', message: /wrong passphrase/ })
    // only the header is read: a truncated archive with the right header still tells a wrong passphrase
    await assert.rejects(open(archive.subarray(0, HEADER), 'cafe au lait'), { name: 'WrongPassphraseError' })
    await assert.rejects(checkArchivePassphrase(iterate([archive]), 'nope'), { name: 'WrongPassphraseError' })
    await checkArchivePassphrase(iterate([archive]), 'cafe\u0301 au lait')
    assert.deepEqual(await open(archive, 'cafe\u0301 au lait'), records)
  })

  void it('never seals an archive without a passphrase, or with a cost the reader would refuse', async () => {
    const { records } = await sampleRecords()
    await assert.rejects(seal(records, { passphrase: '' }), TypeError)
    await assert.rejects(seal(records, { params: { N: 2 ** 10, r: 8, p: 1 } }), TypeError)
    await assert.rejects(seal(records, { frameSize: 64 * 1024 + 1 }), TypeError)
  })

  void it('refuses to seal records the store would not hold, or out of the store\'s order', async () => {
    const { records } = await sampleRecords()
    const [identity, peer] = records as [StoreRecord, StoreRecord]
    const message = records.find(r => r.type === 'message') as StoreRecord
    await assert.rejects(seal([peer]), { name: 'TypeError', message: /identity is not the first record/ })
    await assert.rejects(seal([]), { name: 'TypeError', message: /no identity/ })
    await assert.rejects(seal([identity, identity]), { name: 'TypeError', message: /out of order/ })
    await assert.rejects(seal([identity, message, peer]), { name: 'TypeError', message: /peer record out of order/ })
    const bad = (m: Partial<Extract<StoreRecord, { type: 'message' }>['message']>, request = false): StoreRecord[] =>
      [identity, { type: 'message', message: { ...(message as Extract<StoreRecord, { type: 'message' }>).message, ...m }, request }]
    for (const records of [bad({ peer: 'not a peer id' }), bad({ status: 'sent' }), bad({ direction: 'out' }, true), bad({ ts: Number.NaN }), bad({ id: 'with space' })]) {
      await assert.rejects(seal(records), { name: 'TypeError', message: /invalid record/ })
    }
    await assert.rejects(seal([{ type: 'identity', key: new Uint8Array(10) }]), { name: 'TypeError', message: /not a private key/ })
    // a field the store gained and the format does not know would be lost: refused, not dropped
    const withExtra = { ...(peer as Extract<StoreRecord, { type: 'peer' }>).peer, nickname2: 'x' }
    await assert.rejects(seal([identity, { type: 'peer', peer: withExtra }]), { name: 'TypeError', message: /unknown fields/ })
    await assert.rejects(seal([identity, { ...message, pinned: true } as unknown as StoreRecord]), { name: 'TypeError', message: /unknown fields/ })
  })
})

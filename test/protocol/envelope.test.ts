import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { decodeEnvelope, encodeEnvelope } from '../../src/protocol/envelope.ts'
import { Envelope } from '../../src/protocol/pb/securechat.ts'
import { newMessageId } from '../../src/protocol/envelope.ts'
import { MAX_TEXT_BYTES } from '../../src/protocol/constants.ts'

describe('envelope', () => {
  it('round-trips chat and ack envelopes', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 500 }).filter(s => s.trim() !== ''), fc.integer({ min: 1, max: 2 ** 50 }), (text, timestamp) => {
      const id = newMessageId()
      assert.deepEqual(decodeEnvelope(encodeEnvelope({ type: 'chat', id, timestamp, text })), { type: 'chat', id, timestamp, text })
      assert.deepEqual(decodeEnvelope(encodeEnvelope({ type: 'ack', id })), { type: 'ack', id })
    }))
  })

  it('throws only InvalidEnvelopeError on arbitrary bytes (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        decodeEnvelope(bytes)
      } catch (err) {
        assert.equal((err as Error).name, 'InvalidEnvelopeError')
      }
    }), { numRuns: 2000 })
  })

  it('rejects bad ids, empty or oversized text, bad timestamps, unknown types', () => {
    const id = newMessageId()
    const unknownType = (): Uint8Array => {
      const bytes = Envelope.encode({ type: Envelope.Type.ACK, id, timestamp: 0n, text: '' })
      assert.deepEqual([...bytes.subarray(0, 2)], [0x08, 0x01])
      bytes[1] = 0x07
      return bytes
    }
    const enc = (e: Partial<Envelope>): Uint8Array => Envelope.encode({ type: Envelope.Type.CHAT, id, timestamp: 1n, text: 'hi', ...e })
    for (const bad of [
      enc({ id: 'nothex' }),
      enc({ id: id.toUpperCase() }),
      enc({ id: id + '00' }),
      enc({ text: '' }),
      enc({ text: '   ' }),
      enc({ text: 'x'.repeat(MAX_TEXT_BYTES + 1) }),
      enc({ timestamp: 0n }),
      enc({ timestamp: 2n ** 60n }),
      unknownType(),
      Envelope.encode({ type: Envelope.Type.ACK, id, timestamp: 5n, text: '' })
    ]) {
      assert.throws(() => decodeEnvelope(bad), { name: 'InvalidEnvelopeError' })
    }
  })
})

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

  it('round-trips room envelopes, clocks across the whole range (the varints protons writes wrongly in [2^31, 2^32) too)', () => {
    const room = 'c0'.repeat(16)
    fc.assert(fc.property(fc.oneof(fc.maxSafeNat(), fc.integer({ min: 2 ** 31, max: 2 ** 32 - 1 }), fc.constant(0)), (clock) => {
      const envelope = { type: 'room' as const, id: newMessageId(), timestamp: 1_700_000_000_000, text: 'hi all', room, clock }
      const bytes = encodeEnvelope(envelope)
      assert.deepEqual(decodeEnvelope(bytes), envelope)
      // the same bytes protons would write for a well-formed value
      const decoded = Envelope.decode(bytes)
      assert.equal(decoded.type, Envelope.Type.ROOM)
      assert.equal(decoded.clock, BigInt(clock))
    }))
  })

  it('rejects a room envelope without a valid room id, and room fields on anything else', () => {
    const id = newMessageId()
    const room = 'c0'.repeat(16)
    const enc = (e: Partial<Envelope>): Uint8Array => Envelope.encode({ type: Envelope.Type.ROOM, id, timestamp: 1n, text: 'hi', room, clock: 1n, ...e })
    for (const bad of [
      enc({ room: '' }),
      enc({ room: room.toUpperCase() }),
      enc({ room: room + '0' }),
      enc({ room: '../' + room.slice(3) }),
      enc({ clock: 2n ** 53n }),
      enc({ text: '' }),
      enc({ timestamp: 0n }),
      enc({ type: Envelope.Type.CHAT }),
      enc({ type: Envelope.Type.CHAT, room: '' }),
      enc({ type: Envelope.Type.ACK, text: '', timestamp: 0n, clock: 0n }),
      enc({ type: Envelope.Type.READ, text: '', timestamp: 0n, room: '' })
    ]) {
      assert.throws(() => decodeEnvelope(bad), { name: 'InvalidEnvelopeError' })
    }
    assert.equal(decodeEnvelope(enc({ clock: 0n })).type, 'room')
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
      const bytes = Envelope.encode({ type: Envelope.Type.ACK, id, timestamp: 0n, text: '', room: '', clock: 0n })
      assert.deepEqual([...bytes.subarray(0, 2)], [0x08, 0x01])
      bytes[1] = 0x07
      return bytes
    }
    const enc = (e: Partial<Envelope>): Uint8Array => Envelope.encode({ type: Envelope.Type.CHAT, id, timestamp: 1n, text: 'hi', room: '', clock: 0n, ...e })
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
      Envelope.encode({ type: Envelope.Type.ACK, id, timestamp: 5n, text: '', room: '', clock: 0n })
    ]) {
      assert.throws(() => decodeEnvelope(bad), { name: 'InvalidEnvelopeError' })
    }
  })
})

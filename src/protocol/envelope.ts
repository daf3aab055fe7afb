/**
 * Encoding and validation of the Envelope inside a Frame, pure. Every field
 * that came from the network is checked before anything else sees it.
 */
import { randomBytes } from 'node:crypto'
import { Envelope } from './pb/securechat.ts'
import { MESSAGE_ID_BYTES } from './constants.ts'
import { InvalidEnvelopeError } from './errors.ts'
import { textProblem } from './text.ts'

const ID_PATTERN = new RegExp(`^[0-9a-f]{${MESSAGE_ID_BYTES * 2}}$`)

export interface ChatEnvelope {
  type: 'chat'
  id: string
  timestamp: number
  text: string
}

/** A message to a room: a chat message with the room's id and its Lamport clock */
export interface RoomEnvelope {
  type: 'room'
  id: string
  timestamp: number
  text: string
  /** 32 lower-case hex characters */
  room: string
  /** a non-negative safe integer */
  clock: number
}

export interface AckEnvelope {
  type: 'ack'
  id: string
}

export interface ReadEnvelope {
  type: 'read'
  id: string
}

export type ValidEnvelope = ChatEnvelope | RoomEnvelope | AckEnvelope | ReadEnvelope

/** What a session carries from sender to receiver (acks go back) */
export type MessageEnvelope = ChatEnvelope | RoomEnvelope

const ROOM_ID = /^[0-9a-f]{32}$/

export function isMessageId (id: string): boolean {
  return ID_PATTERN.test(id)
}

/** A new, random message id: MESSAGE_ID_BYTES, hex */
export function newMessageId (): string {
  return randomBytes(MESSAGE_ID_BYTES).toString('hex')
}

/**
 * A uint64 varint field (field `field`, wire type 0), written here rather
 * than by protons: protons-runtime's uint64 writer (7.1.2) emits a broken
 * varint, 4 of its bytes uninitialised memory, for values in [2^31, 2^32)
 */
function varintField (field: number, value: number): Uint8Array {
  const out = [field << 3]
  let v = BigInt.asUintN(64, BigInt(value))

  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }

  out.push(Number(v))
  return Uint8Array.from(out)
}

const EMPTY = { type: Envelope.Type.CHAT, id: '', timestamp: 0n, text: '', room: '', clock: 0n }

export function encodeEnvelope (envelope: ValidEnvelope): Uint8Array {
  if (envelope.type === 'chat' || envelope.type === 'room') {
    // fields in number order, as Envelope.encode would write them: type (CHAT, the default, omitted) and id, timestamp, text[, room, clock]
    const type = envelope.type === 'chat' ? Envelope.Type.CHAT : Envelope.Type.ROOM
    const parts = [
      Envelope.encode({ ...EMPTY, type, id: envelope.id }),
      varintField(3, envelope.timestamp),
      Envelope.encode({ ...EMPTY, text: envelope.text })
    ]
    if (envelope.type === 'room') {
      parts.push(Envelope.encode({ ...EMPTY, room: envelope.room }))
      // clock 0 is the default and so omitted, as protons would
      if (envelope.clock > 0) parts.push(varintField(6, envelope.clock))
    }
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
    let offset = 0

    for (const p of parts) {
      out.set(p, offset)
      offset += p.byteLength
    }

    return out
  }

  return Envelope.encode({ ...EMPTY, type: envelope.type === 'ack' ? Envelope.Type.ACK : Envelope.Type.READ, id: envelope.id })
}

/** The checks a CHAT and a ROOM envelope share: text and timestamp */
function checkMessage (envelope: Envelope): void {
  // the same rule as for the texts we send (text.ts)
  const problem = textProblem(envelope.text)

  if (problem != null) {
    throw new InvalidEnvelopeError(problem === 'empty' ? 'envelope text empty' : 'envelope text too large')
  }

  if (envelope.timestamp <= 0n || envelope.timestamp > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidEnvelopeError('envelope timestamp invalid')
  }
}

export function decodeEnvelope (bytes: Uint8Array): ValidEnvelope {
  let envelope: Envelope

  try {
    envelope = Envelope.decode(bytes)
  } catch (err) {
    throw new InvalidEnvelopeError('envelope could not be decoded', { cause: err })
  }

  if (!isMessageId(envelope.id)) {
    throw new InvalidEnvelopeError('envelope id invalid')
  }

  switch (envelope.type) {
    case Envelope.Type.CHAT:
      checkMessage(envelope)

      if (envelope.room !== '' || envelope.clock !== 0n) {
        throw new InvalidEnvelopeError('chat message carries room fields')
      }

      return { type: 'chat', id: envelope.id, timestamp: Number(envelope.timestamp), text: envelope.text }
    case Envelope.Type.ROOM:
      checkMessage(envelope)

      if (!ROOM_ID.test(envelope.room)) {
        throw new InvalidEnvelopeError('envelope room id invalid')
      }

      if (envelope.clock < 0n || envelope.clock > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new InvalidEnvelopeError('envelope clock invalid')
      }

      return { type: 'room', id: envelope.id, timestamp: Number(envelope.timestamp), text: envelope.text, room: envelope.room, clock: Number(envelope.clock) }
    case Envelope.Type.ACK:
      if (envelope.text !== '' || envelope.timestamp !== 0n || envelope.room !== '' || envelope.clock !== 0n) {
        throw new InvalidEnvelopeError('ack carries unexpected fields')
      }

      return { type: 'ack', id: envelope.id }
    case Envelope.Type.READ:
      if (envelope.text !== '' || envelope.timestamp !== 0n || envelope.room !== '' || envelope.clock !== 0n) {
        throw new InvalidEnvelopeError('read receipt carries unexpected fields')
      }

      return { type: 'read', id: envelope.id }
    default:
      throw new InvalidEnvelopeError('envelope type unknown')
  }
}

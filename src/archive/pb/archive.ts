import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface ArchiveRecord {
  identity?: Identity
  peer?: Peer
  message?: Message
  room?: Room
}

export namespace ArchiveRecord {
  let _codec: Codec<ArchiveRecord>

  export const codec = (): Codec<ArchiveRecord> => {
    if (_codec == null) {
      _codec = message<ArchiveRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        obj = { ...obj }

        if (obj.room != null) {
          obj.message = undefined
          obj.peer = undefined
          obj.identity = undefined
        }

        if (obj.message != null) {
          obj.room = undefined
          obj.peer = undefined
          obj.identity = undefined
        }

        if (obj.peer != null) {
          obj.room = undefined
          obj.message = undefined
          obj.identity = undefined
        }

        if (obj.identity != null) {
          obj.room = undefined
          obj.message = undefined
          obj.peer = undefined
        }

        if (obj.identity != null) {
          w.uint32(10)
          Identity.codec().encode(obj.identity, w)
        }

        if (obj.peer != null) {
          w.uint32(18)
          Peer.codec().encode(obj.peer, w)
        }

        if (obj.message != null) {
          w.uint32(26)
          Message.codec().encode(obj.message, w)
        }

        if (obj.room != null) {
          w.uint32(34)
          Room.codec().encode(obj.room, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.identity = Identity.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.identity
              })
              break
            }
            case 2: {
              obj.peer = Peer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.peer
              })
              break
            }
            case 3: {
              obj.message = Message.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.message
              })
              break
            }
            case 4: {
              obj.room = Room.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.room
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        if (obj.room != null) {
          delete obj.message
          delete obj.peer
          delete obj.identity
        }

        if (obj.message != null) {
          delete obj.room
          delete obj.peer
          delete obj.identity
        }

        if (obj.peer != null) {
          delete obj.room
          delete obj.message
          delete obj.identity
        }

        if (obj.identity != null) {
          delete obj.room
          delete obj.message
          delete obj.peer
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * Identity.codec().stream(reader, reader.uint32(), `${prefix}.identity`, {
                limits: opts.limits?.identity
              })

              break
            }
            case 2: {
              yield * Peer.codec().stream(reader, reader.uint32(), `${prefix}.peer`, {
                limits: opts.limits?.peer
              })

              break
            }
            case 3: {
              yield * Message.codec().stream(reader, reader.uint32(), `${prefix}.message`, {
                limits: opts.limits?.message
              })

              break
            }
            case 4: {
              yield * Room.codec().stream(reader, reader.uint32(), `${prefix}.room`, {
                limits: opts.limits?.room
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ArchiveRecordIdentityKeyFieldEvent {
    field: '$.identity.key'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ArchiveRecordPeerPeerIdFieldEvent {
    field: '$.peer.peerId'
    value: string
  }

  export interface ArchiveRecordPeerNameFieldEvent {
    field: '$.peer.name'
    value: string
  }

  export interface ArchiveRecordPeerRelationFieldEvent {
    field: '$.peer.relation'
    value: string
  }

  export interface ArchiveRecordPeerPetnameFieldEvent {
    field: '$.peer.petname'
    value: string
  }

  export interface ArchiveRecordPeerVerifiedFieldEvent {
    field: '$.peer.verified'
    value: boolean
  }

  export interface ArchiveRecordPeerAddrsFieldEvent {
    field: '$.peer.addrs[]'
    index: number
    value: string
  }

  export interface ArchiveRecordPeerFirstSeenFieldEvent {
    field: '$.peer.firstSeen'
    value: number
  }

  export interface ArchiveRecordPeerLastSeenFieldEvent {
    field: '$.peer.lastSeen'
    value: number
  }

  export interface ArchiveRecordMessageIdFieldEvent {
    field: '$.message.id'
    value: string
  }

  export interface ArchiveRecordMessagePeerFieldEvent {
    field: '$.message.peer'
    value: string
  }

  export interface ArchiveRecordMessageDirectionFieldEvent {
    field: '$.message.direction'
    value: string
  }

  export interface ArchiveRecordMessageFromFieldEvent {
    field: '$.message.from'
    value: string
  }

  export interface ArchiveRecordMessageNameFieldEvent {
    field: '$.message.name'
    value: string
  }

  export interface ArchiveRecordMessageTextFieldEvent {
    field: '$.message.text'
    value: string
  }

  export interface ArchiveRecordMessageTsFieldEvent {
    field: '$.message.ts'
    value: number
  }

  export interface ArchiveRecordMessageStatusFieldEvent {
    field: '$.message.status'
    value: string
  }

  export interface ArchiveRecordMessageRequestFieldEvent {
    field: '$.message.request'
    value: boolean
  }

  export interface ArchiveRecordMessageClockFieldEvent {
    field: '$.message.clock'
    value: number
  }

  export interface ArchiveRecordRoomIdFieldEvent {
    field: '$.room.id'
    value: string
  }

  export interface ArchiveRecordRoomNameFieldEvent {
    field: '$.room.name'
    value: string
  }

  export interface ArchiveRecordRoomKeyFieldEvent {
    field: '$.room.key'
    value: string
  }

  export interface ArchiveRecordRoomProofKeyFieldEvent {
    field: '$.room.proofKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ArchiveRecordRoomRendezvousKeyFieldEvent {
    field: '$.room.rendezvousKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ArchiveRecordRoomJoinedAtFieldEvent {
    field: '$.room.joinedAt'
    value: number
  }

  export interface ArchiveRecordRoomMembersPeerIdFieldEvent {
    field: '$.room.members[].peerId'
    value: string
    index: number
  }

  export interface ArchiveRecordRoomMembersProvenAtFieldEvent {
    field: '$.room.members[].provenAt'
    value: number
    index: number
  }

  export function encode (obj: Partial<ArchiveRecord>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ArchiveRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ArchiveRecord>): ArchiveRecord {
    return decodeMessage(buf, ArchiveRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ArchiveRecord>): Generator<ArchiveRecordIdentityKeyFieldEvent | ArchiveRecordPeerPeerIdFieldEvent | ArchiveRecordPeerNameFieldEvent | ArchiveRecordPeerRelationFieldEvent | ArchiveRecordPeerPetnameFieldEvent | ArchiveRecordPeerVerifiedFieldEvent | ArchiveRecordPeerAddrsFieldEvent | ArchiveRecordPeerFirstSeenFieldEvent | ArchiveRecordPeerLastSeenFieldEvent | ArchiveRecordMessageIdFieldEvent | ArchiveRecordMessagePeerFieldEvent | ArchiveRecordMessageDirectionFieldEvent | ArchiveRecordMessageFromFieldEvent | ArchiveRecordMessageNameFieldEvent | ArchiveRecordMessageTextFieldEvent | ArchiveRecordMessageTsFieldEvent | ArchiveRecordMessageStatusFieldEvent | ArchiveRecordMessageRequestFieldEvent | ArchiveRecordMessageClockFieldEvent | ArchiveRecordRoomIdFieldEvent | ArchiveRecordRoomNameFieldEvent | ArchiveRecordRoomKeyFieldEvent | ArchiveRecordRoomProofKeyFieldEvent | ArchiveRecordRoomRendezvousKeyFieldEvent | ArchiveRecordRoomJoinedAtFieldEvent | ArchiveRecordRoomMembersPeerIdFieldEvent | ArchiveRecordRoomMembersProvenAtFieldEvent> {
    return streamMessage(buf, ArchiveRecord.codec(), opts)
  }
}

export interface Identity {
  key: Uint8Array<ArrayBuffer>
}

export namespace Identity {
  let _codec: Codec<Identity>

  export const codec = (): Codec<Identity> => {
    if (_codec == null) {
      _codec = message<Identity>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.key != null && obj.key.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.key)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          key: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.key = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.key`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface IdentityKeyFieldEvent {
    field: '$.key'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Identity>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Identity.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Identity>): Identity {
    return decodeMessage(buf, Identity.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Identity>): Generator<IdentityKeyFieldEvent> {
    return streamMessage(buf, Identity.codec(), opts)
  }
}

export interface Peer {
  peerId: string
  name?: string
  relation?: string
  petname?: string
  verified: boolean
  addrs: string[]
  firstSeen: number
  lastSeen: number
}

export namespace Peer {
  let _codec: Codec<Peer>

  export const codec = (): Codec<Peer> => {
    if (_codec == null) {
      _codec = message<Peer>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peerId != null && obj.peerId !== '')) {
          w.uint32(10)
          w.string(obj.peerId)
        }

        if (obj.name != null) {
          w.uint32(18)
          w.string(obj.name)
        }

        if (obj.relation != null) {
          w.uint32(26)
          w.string(obj.relation)
        }

        if (obj.petname != null) {
          w.uint32(34)
          w.string(obj.petname)
        }

        if ((obj.verified != null && obj.verified !== false)) {
          w.uint32(40)
          w.bool(obj.verified)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(50)
            w.string(value)
          }
        }

        if ((obj.firstSeen != null && obj.firstSeen !== 0)) {
          w.uint32(57)
          w.double(obj.firstSeen)
        }

        if ((obj.lastSeen != null && obj.lastSeen !== 0)) {
          w.uint32(65)
          w.double(obj.lastSeen)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peerId: '',
          verified: false,
          addrs: [],
          firstSeen: 0,
          lastSeen: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peerId = reader.string()
              break
            }
            case 2: {
              obj.name = reader.string()
              break
            }
            case 3: {
              obj.relation = reader.string()
              break
            }
            case 4: {
              obj.petname = reader.string()
              break
            }
            case 5: {
              obj.verified = reader.bool()
              break
            }
            case 6: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.string())
              break
            }
            case 7: {
              obj.firstSeen = reader.double()
              break
            }
            case 8: {
              obj.lastSeen = reader.double()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          addrs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.peerId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.relation`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.petname`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.verified`,
                value: reader.bool()
              }
              break
            }
            case 6: {
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.string()
              }

              obj.addrs++

              break
            }
            case 7: {
              yield {
                field: `${prefix}.firstSeen`,
                value: reader.double()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.lastSeen`,
                value: reader.double()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PeerPeerIdFieldEvent {
    field: '$.peerId'
    value: string
  }

  export interface PeerNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface PeerRelationFieldEvent {
    field: '$.relation'
    value: string
  }

  export interface PeerPetnameFieldEvent {
    field: '$.petname'
    value: string
  }

  export interface PeerVerifiedFieldEvent {
    field: '$.verified'
    value: boolean
  }

  export interface PeerAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: string
  }

  export interface PeerFirstSeenFieldEvent {
    field: '$.firstSeen'
    value: number
  }

  export interface PeerLastSeenFieldEvent {
    field: '$.lastSeen'
    value: number
  }

  export function encode (obj: Partial<Peer>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Peer.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Peer>): Peer {
    return decodeMessage(buf, Peer.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Peer>): Generator<PeerPeerIdFieldEvent | PeerNameFieldEvent | PeerRelationFieldEvent | PeerPetnameFieldEvent | PeerVerifiedFieldEvent | PeerAddrsFieldEvent | PeerFirstSeenFieldEvent | PeerLastSeenFieldEvent> {
    return streamMessage(buf, Peer.codec(), opts)
  }
}

export interface Message {
  id: string
  peer: string
  direction: string
  from: string
  name: string
  text: string
  ts: number
  status?: string
  request: boolean
  clock?: number
}

export namespace Message {
  let _codec: Codec<Message>

  export const codec = (): Codec<Message> => {
    if (_codec == null) {
      _codec = message<Message>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id !== '')) {
          w.uint32(10)
          w.string(obj.id)
        }

        if ((obj.peer != null && obj.peer !== '')) {
          w.uint32(18)
          w.string(obj.peer)
        }

        if ((obj.direction != null && obj.direction !== '')) {
          w.uint32(26)
          w.string(obj.direction)
        }

        if ((obj.from != null && obj.from !== '')) {
          w.uint32(34)
          w.string(obj.from)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(42)
          w.string(obj.name)
        }

        if ((obj.text != null && obj.text !== '')) {
          w.uint32(50)
          w.string(obj.text)
        }

        if ((obj.ts != null && obj.ts !== 0)) {
          w.uint32(57)
          w.double(obj.ts)
        }

        if (obj.status != null) {
          w.uint32(66)
          w.string(obj.status)
        }

        if ((obj.request != null && obj.request !== false)) {
          w.uint32(72)
          w.bool(obj.request)
        }

        if (obj.clock != null) {
          w.uint32(81)
          w.double(obj.clock)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: '',
          peer: '',
          direction: '',
          from: '',
          name: '',
          text: '',
          ts: 0,
          request: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.string()
              break
            }
            case 2: {
              obj.peer = reader.string()
              break
            }
            case 3: {
              obj.direction = reader.string()
              break
            }
            case 4: {
              obj.from = reader.string()
              break
            }
            case 5: {
              obj.name = reader.string()
              break
            }
            case 6: {
              obj.text = reader.string()
              break
            }
            case 7: {
              obj.ts = reader.double()
              break
            }
            case 8: {
              obj.status = reader.string()
              break
            }
            case 9: {
              obj.request = reader.bool()
              break
            }
            case 10: {
              obj.clock = reader.double()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.id`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.peer`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.direction`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.from`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.text`,
                value: reader.string()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.ts`,
                value: reader.double()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.status`,
                value: reader.string()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.request`,
                value: reader.bool()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.clock`,
                value: reader.double()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface MessageIdFieldEvent {
    field: '$.id'
    value: string
  }

  export interface MessagePeerFieldEvent {
    field: '$.peer'
    value: string
  }

  export interface MessageDirectionFieldEvent {
    field: '$.direction'
    value: string
  }

  export interface MessageFromFieldEvent {
    field: '$.from'
    value: string
  }

  export interface MessageNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface MessageTextFieldEvent {
    field: '$.text'
    value: string
  }

  export interface MessageTsFieldEvent {
    field: '$.ts'
    value: number
  }

  export interface MessageStatusFieldEvent {
    field: '$.status'
    value: string
  }

  export interface MessageRequestFieldEvent {
    field: '$.request'
    value: boolean
  }

  export interface MessageClockFieldEvent {
    field: '$.clock'
    value: number
  }

  export function encode (obj: Partial<Message>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Message.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Message>): Message {
    return decodeMessage(buf, Message.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Message>): Generator<MessageIdFieldEvent | MessagePeerFieldEvent | MessageDirectionFieldEvent | MessageFromFieldEvent | MessageNameFieldEvent | MessageTextFieldEvent | MessageTsFieldEvent | MessageStatusFieldEvent | MessageRequestFieldEvent | MessageClockFieldEvent> {
    return streamMessage(buf, Message.codec(), opts)
  }
}

export interface Room {
  id: string
  name: string
  key?: string
  proofKey: Uint8Array<ArrayBuffer>
  rendezvousKey: Uint8Array<ArrayBuffer>
  joinedAt: number
  members: Member[]
}

export namespace Room {
  let _codec: Codec<Room>

  export const codec = (): Codec<Room> => {
    if (_codec == null) {
      _codec = message<Room>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id !== '')) {
          w.uint32(10)
          w.string(obj.id)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(18)
          w.string(obj.name)
        }

        if (obj.key != null) {
          w.uint32(26)
          w.string(obj.key)
        }

        if ((obj.proofKey != null && obj.proofKey.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.proofKey)
        }

        if ((obj.rendezvousKey != null && obj.rendezvousKey.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.rendezvousKey)
        }

        if ((obj.joinedAt != null && obj.joinedAt !== 0)) {
          w.uint32(49)
          w.double(obj.joinedAt)
        }

        if (obj.members != null && obj.members.length > 0) {
          for (const value of obj.members) {
            w.uint32(58)
            Member.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: '',
          name: '',
          proofKey: uint8ArrayAlloc(0),
          rendezvousKey: uint8ArrayAlloc(0),
          joinedAt: 0,
          members: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.string()
              break
            }
            case 2: {
              obj.name = reader.string()
              break
            }
            case 3: {
              obj.key = reader.string()
              break
            }
            case 4: {
              obj.proofKey = reader.bytes()
              break
            }
            case 5: {
              obj.rendezvousKey = reader.bytes()
              break
            }
            case 6: {
              obj.joinedAt = reader.double()
              break
            }
            case 7: {
              if (opts.limits?.members != null && obj.members.length === opts.limits.members) {
                throw new MaxLengthError('Decode error - repeated field "members" had too many elements')
              }

              obj.members.push(Member.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.members$
              }))
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          members: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.id`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.key`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.proofKey`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.rendezvousKey`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.joinedAt`,
                value: reader.double()
              }
              break
            }
            case 7: {
              if (opts.limits?.members != null && obj.members === opts.limits.members) {
                throw new MaxLengthError('Streaming decode error - repeated field "members" had too many elements')
              }

              for (const evt of Member.codec().stream(reader, reader.uint32(), `${prefix}.members[]`, {
                limits: opts.limits?.members$
              })) {
                yield {
                  ...evt,
                  index: obj.members
                }
              }

              obj.members++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface RoomIdFieldEvent {
    field: '$.id'
    value: string
  }

  export interface RoomNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface RoomKeyFieldEvent {
    field: '$.key'
    value: string
  }

  export interface RoomProofKeyFieldEvent {
    field: '$.proofKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RoomRendezvousKeyFieldEvent {
    field: '$.rendezvousKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RoomJoinedAtFieldEvent {
    field: '$.joinedAt'
    value: number
  }

  export interface RoomMembersPeerIdFieldEvent {
    field: '$.members[].peerId'
    value: string
    index: number
  }

  export interface RoomMembersProvenAtFieldEvent {
    field: '$.members[].provenAt'
    value: number
    index: number
  }

  export function encode (obj: Partial<Room>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Room.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Room>): Room {
    return decodeMessage(buf, Room.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Room>): Generator<RoomIdFieldEvent | RoomNameFieldEvent | RoomKeyFieldEvent | RoomProofKeyFieldEvent | RoomRendezvousKeyFieldEvent | RoomJoinedAtFieldEvent | RoomMembersPeerIdFieldEvent | RoomMembersProvenAtFieldEvent> {
    return streamMessage(buf, Room.codec(), opts)
  }
}

export interface Member {
  peerId: string
  provenAt: number
}

export namespace Member {
  let _codec: Codec<Member>

  export const codec = (): Codec<Member> => {
    if (_codec == null) {
      _codec = message<Member>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peerId != null && obj.peerId !== '')) {
          w.uint32(10)
          w.string(obj.peerId)
        }

        if ((obj.provenAt != null && obj.provenAt !== 0)) {
          w.uint32(17)
          w.double(obj.provenAt)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peerId: '',
          provenAt: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peerId = reader.string()
              break
            }
            case 2: {
              obj.provenAt = reader.double()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.peerId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.provenAt`,
                value: reader.double()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface MemberPeerIdFieldEvent {
    field: '$.peerId'
    value: string
  }

  export interface MemberProvenAtFieldEvent {
    field: '$.provenAt'
    value: number
  }

  export function encode (obj: Partial<Member>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Member.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Member>): Member {
    return decodeMessage(buf, Member.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Member>): Generator<MemberPeerIdFieldEvent | MemberProvenAtFieldEvent> {
    return streamMessage(buf, Member.codec(), opts)
  }
}

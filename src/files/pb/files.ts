import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface FileRequest {
  kind: FileRequest.Kind
  id: string
  name: string
  size: bigint
  sha256: Uint8Array<ArrayBuffer>
  offset: bigint
  ok: boolean
}

export namespace FileRequest {
  export enum Kind {
    OFFER = 'OFFER',
    GET = 'GET',
    DECLINE = 'DECLINE',
    DONE = 'DONE',
    MORE = 'MORE'
  }

  enum __KindValues {
    OFFER = 0,
    GET = 1,
    DECLINE = 2,
    DONE = 3,
    MORE = 4
  }

  export namespace Kind {
    export const codec = (): Codec<Kind> => {
      return enumeration<Kind>(__KindValues)
    }
  }

  let _codec: Codec<FileRequest>

  export const codec = (): Codec<FileRequest> => {
    if (_codec == null) {
      _codec = message<FileRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(8)
          FileRequest.Kind.codec().encode(obj.kind, w)
        }

        if ((obj.id != null && obj.id !== '')) {
          w.uint32(18)
          w.string(obj.id)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(26)
          w.string(obj.name)
        }

        if ((obj.size != null && obj.size !== 0n)) {
          w.uint32(32)
          w.uint64(obj.size)
        }

        if ((obj.sha256 != null && obj.sha256.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.sha256)
        }

        if ((obj.offset != null && obj.offset !== 0n)) {
          w.uint32(48)
          w.uint64(obj.offset)
        }

        if ((obj.ok != null && obj.ok !== false)) {
          w.uint32(56)
          w.bool(obj.ok)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: Kind.OFFER,
          id: '',
          name: '',
          size: 0n,
          sha256: uint8ArrayAlloc(0),
          offset: 0n,
          ok: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = FileRequest.Kind.codec().decode(reader)
              break
            }
            case 2: {
              obj.id = reader.string()
              break
            }
            case 3: {
              obj.name = reader.string()
              break
            }
            case 4: {
              obj.size = reader.uint64()
              break
            }
            case 5: {
              obj.sha256 = reader.bytes()
              break
            }
            case 6: {
              obj.offset = reader.uint64()
              break
            }
            case 7: {
              obj.ok = reader.bool()
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
                field: `${prefix}.kind`,
                value: FileRequest.Kind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.id`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.size`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.sha256`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.offset`,
                value: reader.uint64()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.ok`,
                value: reader.bool()
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

  export interface FileRequestKindFieldEvent {
    field: '$.kind'
    value: FileRequest.Kind
  }

  export interface FileRequestIdFieldEvent {
    field: '$.id'
    value: string
  }

  export interface FileRequestNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface FileRequestSizeFieldEvent {
    field: '$.size'
    value: bigint
  }

  export interface FileRequestSha256FieldEvent {
    field: '$.sha256'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FileRequestOffsetFieldEvent {
    field: '$.offset'
    value: bigint
  }

  export interface FileRequestOkFieldEvent {
    field: '$.ok'
    value: boolean
  }

  export function encode (obj: Partial<FileRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FileRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FileRequest>): FileRequest {
    return decodeMessage(buf, FileRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FileRequest>): Generator<FileRequestKindFieldEvent | FileRequestIdFieldEvent | FileRequestNameFieldEvent | FileRequestSizeFieldEvent | FileRequestSha256FieldEvent | FileRequestOffsetFieldEvent | FileRequestOkFieldEvent> {
    return streamMessage(buf, FileRequest.codec(), opts)
  }
}

export interface FileReply {
  kind: FileReply.Kind
  offset: bigint
  data: Uint8Array<ArrayBuffer>
  reason: string
}

export namespace FileReply {
  export enum Kind {
    OK = 'OK',
    CHUNK = 'CHUNK',
    END = 'END',
    REFUSED = 'REFUSED'
  }

  enum __KindValues {
    OK = 0,
    CHUNK = 1,
    END = 2,
    REFUSED = 3
  }

  export namespace Kind {
    export const codec = (): Codec<Kind> => {
      return enumeration<Kind>(__KindValues)
    }
  }

  let _codec: Codec<FileReply>

  export const codec = (): Codec<FileReply> => {
    if (_codec == null) {
      _codec = message<FileReply>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(8)
          FileReply.Kind.codec().encode(obj.kind, w)
        }

        if ((obj.offset != null && obj.offset !== 0n)) {
          w.uint32(16)
          w.uint64(obj.offset)
        }

        if ((obj.data != null && obj.data.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.data)
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(34)
          w.string(obj.reason)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: Kind.OK,
          offset: 0n,
          data: uint8ArrayAlloc(0),
          reason: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = FileReply.Kind.codec().decode(reader)
              break
            }
            case 2: {
              obj.offset = reader.uint64()
              break
            }
            case 3: {
              obj.data = reader.bytes()
              break
            }
            case 4: {
              obj.reason = reader.string()
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
                field: `${prefix}.kind`,
                value: FileReply.Kind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.offset`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.data`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.reason`,
                value: reader.string()
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

  export interface FileReplyKindFieldEvent {
    field: '$.kind'
    value: FileReply.Kind
  }

  export interface FileReplyOffsetFieldEvent {
    field: '$.offset'
    value: bigint
  }

  export interface FileReplyDataFieldEvent {
    field: '$.data'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FileReplyReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export function encode (obj: Partial<FileReply>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FileReply.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FileReply>): FileReply {
    return decodeMessage(buf, FileReply.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FileReply>): Generator<FileReplyKindFieldEvent | FileReplyOffsetFieldEvent | FileReplyDataFieldEvent | FileReplyReasonFieldEvent> {
    return streamMessage(buf, FileReply.codec(), opts)
  }
}

import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface MembershipHello {
  nonce: Uint8Array<ArrayBuffer>
  tags: Uint8Array<ArrayBuffer>[]
  padding: Uint8Array<ArrayBuffer>
}

export namespace MembershipHello {
  let _codec: Codec<MembershipHello>

  export const codec = (): Codec<MembershipHello> => {
    if (_codec == null) {
      _codec = message<MembershipHello>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.nonce != null && obj.nonce.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.nonce)
        }

        if (obj.tags != null && obj.tags.length > 0) {
          for (const value of obj.tags) {
            w.uint32(18)
            w.bytes(value)
          }
        }

        if ((obj.padding != null && obj.padding.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.padding)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          nonce: uint8ArrayAlloc(0),
          tags: [],
          padding: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.nonce = reader.bytes()
              break
            }
            case 2: {
              if (opts.limits?.tags != null && obj.tags.length === opts.limits.tags) {
                throw new MaxLengthError('Decode error - repeated field "tags" had too many elements')
              }

              obj.tags.push(reader.bytes())
              break
            }
            case 3: {
              obj.padding = reader.bytes()
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
          tags: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              if (opts.limits?.tags != null && obj.tags === opts.limits.tags) {
                throw new MaxLengthError('Streaming decode error - repeated field "tags" had too many elements')
              }

              yield {
                field: `${prefix}.tags[]`,
                index: obj.tags,
                value: reader.bytes()
              }

              obj.tags++

              break
            }
            case 3: {
              yield {
                field: `${prefix}.padding`,
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

  export interface MembershipHelloNonceFieldEvent {
    field: '$.nonce'
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipHelloTagsFieldEvent {
    field: '$.tags[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipHelloPaddingFieldEvent {
    field: '$.padding'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<MembershipHello>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, MembershipHello.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MembershipHello>): MembershipHello {
    return decodeMessage(buf, MembershipHello.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MembershipHello>): Generator<MembershipHelloNonceFieldEvent | MembershipHelloTagsFieldEvent | MembershipHelloPaddingFieldEvent> {
    return streamMessage(buf, MembershipHello.codec(), opts)
  }
}

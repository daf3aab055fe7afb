/**
 * The /rendezvous/1.0.0 message, as both sides read it: decoded with our
 * error (protons throws a RangeError or a plain Error on malformed input),
 * the namespace rule, and what a failed stream operation threw, as an
 * Error.
 */
import { StreamStateError } from '@libp2p/interface'
import { MAX_NAMESPACE_BYTES } from './constants.ts'
import { InvalidRendezvousMessageError } from './errors.ts'
import { Message } from './pb/rendezvous.ts'
import type { DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

/** Decodes one Message; anything protons refuses is an InvalidRendezvousMessageError with protons' error as its cause */
export function decodeMessage (data: Uint8Array | Uint8ArrayList, options?: DecodeOptions<Message>): Message {
  try {
    return Message.decode(data, options)
  } catch (err) {
    throw new InvalidRendezvousMessageError('rendezvous message malformed', { cause: err })
  }
}

/**
 * What is wrong with `namespace`, or undefined if nothing: it must be
 * 1 to 255 bytes of UTF-8. Its content is opaque: securechat derives room
 * namespaces from room secrets, so the point never learns a room's name.
 */
export function namespaceProblem (namespace: string): string | undefined {
  if (namespace === '') {
    return 'namespace empty'
  }

  if (Buffer.byteLength(namespace) > MAX_NAMESPACE_BYTES) {
    return `namespace longer than ${MAX_NAMESPACE_BYTES} bytes`
  }

  return undefined
}

/**
 * `err` as an Error. A write that waits for the stream to drain
 * (lpStream's, @libp2p/utils 7.4) rejects with the stream's 'close' event
 * itself when the stream closes meanwhile (on a connection that was
 * already going away, say): the event's error if it has one, else a
 * StreamStateError.
 */
export function asError (err: unknown): Error {
  if (err instanceof Error) {
    return err
  }

  const cause = (err as { error?: unknown } | undefined)?.error

  if (cause instanceof Error) {
    return cause
  }

  const error = new StreamStateError('rendezvous stream closed')
  error.cause = err
  return error
}

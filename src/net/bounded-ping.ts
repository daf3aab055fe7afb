/**
 * libp2p's ping service with its responder bounded. @libp2p/ping 3.1.13
 * (`handlePing`) echoes with `stream.send` and, when that returns false,
 * waits for a drain while its `for await` over the stream keeps taking in
 * whatever arrives, without bound, until its 10 s timeout: a peer that
 * writes pings and never reads the echoes made a node hold everything it
 * wrote (about 100 MB in 4 s from one peer on loopback,
 * test/node/hostile-process.test.ts). A pinger that waits for its echo, as
 * every ping client does, never fills a send window (32 bytes at a time);
 * one that does is not reading, and its stream is aborted instead.
 *
 * The guard wraps the handler ping registers, not a registrar middleware:
 * libp2p 3.3.11 appends each inbound stream's handler to the registered
 * middleware array (connection.js, onIncomingStream), so a middleware runs
 * every earlier handler again (libp2p/js-libp2p#3534).
 */
import { StreamBufferError } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import type { Ping, PingComponents, PingInit } from '@libp2p/ping'
import type { Stream } from '@libp2p/interface'
import type { Registrar } from '@libp2p/interface-internal'

/** aborts `stream` as soon as a write to it does not fit: the remote is not reading */
function abortWhenUnread (stream: Stream): void {
  const send = stream.send.bind(stream)
  stream.send = (data) => {
    const more = send(data)

    if (!more) {
      stream.abort(new StreamBufferError('ping echoes not read by the remote'))
    }

    return more
  }
}

/** `registrar`, with every handler registered through it guarded */
function guarded (registrar: Registrar): Registrar {
  return new Proxy(registrar, {
    get (target, property) {
      if (property === 'handle') {
        const handle: Registrar['handle'] = async (protocol, handler, options) => {
          await target.handle(protocol, (stream, connection) => {
            abortWhenUnread(stream)
            return handler(stream, connection)
          }, options)
        }
        return handle
      }

      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    }
  })
}

export function boundedPing (init: PingInit = {}): (components: PingComponents) => Ping {
  const factory = ping(init)

  return (components) => factory({
    get registrar () { return guarded(components.registrar) },
    get connectionManager () { return components.connectionManager }
  })
}

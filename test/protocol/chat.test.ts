/**
 * The /securechat/1.0.0 service over in-memory stream pairs, with stubs of
 * exactly the components it uses. Attacks are played by a hand-driven peer
 * that speaks the wire protocol through the same helpers.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { lpStream, streamPair } from '@libp2p/utils'
import { secureChat } from '../../src/protocol/index.ts'
import { MAX_FRAME_BYTES, PROTOCOL_ID } from '../../src/protocol/constants.ts'
import { encodeEnvelope, newMessageId } from '../../src/protocol/envelope.ts'
import { Frame } from '../../src/protocol/pb/securechat.ts'
import { performHandshake, writeFrame } from '../../src/protocol/wire.ts'
import type { IncomingMessage, MessageHandler, SecureChat, SecureChatComponents, SecureChatInit } from '../../src/protocol/index.ts'
import { newPeer } from '../helpers/peers.ts'
import type { TestPeer } from '../helpers/peers.ts'
import type { Connection, PeerId, Stream, StreamHandler } from '@libp2p/interface'

/** A network of stubbed components: openStream hands the other end to the remote's handler */
class Net {
  readonly handlers = new Map<string, StreamHandler>()
  readonly opened: Stream[] = []

  components (self: TestPeer): SecureChatComponents {
    return {
      peerId: self.id,
      privateKey: self.key,
      logger: defaultLogger(),
      registrar: {
        handle: async (_protocol: string, handler: StreamHandler) => { this.handlers.set(self.id.toString(), handler) },
        unhandle: async () => { this.handlers.delete(self.id.toString()) }
      } as unknown as SecureChatComponents['registrar'],
      connectionManager: {
        openStream: async (remote: PeerId) => this.open(self, remote),
        getConnections: () => []
      } as unknown as SecureChatComponents['connectionManager']
    }
  }

  async open (from: TestPeer, to: PeerId): Promise<Stream> {
    const handler = this.handlers.get(to.toString())
    assert.ok(handler, 'remote has no handler')
    const [outbound, inbound] = await streamPair({ protocol: PROTOCOL_ID })
    this.opened.push(outbound, inbound)
    void handler(inbound, { remotePeer: from.id } as unknown as Connection)
    return outbound
  }
}

const services: SecureChat[] = []

/** The service's init, plus the handlers a test sets on it (as the node's services do) */
interface TestInit extends SecureChatInit {
  /** called for each message of a run in turn; a throw stops the run there */
  onMessage?: (message: IncomingMessage) => Promise<void>
  /** the run handler itself, instead of onMessage */
  onMessages?: MessageHandler
  onInboundError?: (peer: PeerId, err: Error) => void
}

async function service (net: Net, self: TestPeer, init: TestInit = {}): Promise<SecureChat> {
  const s = secureChat({ nickname: self.id.toString().slice(-4), ...init })(net.components(self))
  const onMessage = init.onMessage
  if (init.onMessages != null) {
    s.handleMessages(init.onMessages)
  } else if (onMessage != null) {
    s.handleMessages(async (messages) => {
      for (const [i, m] of messages.entries()) {
        try {
          await onMessage(m)
        } catch (err) {
          return { stored: i, error: err as Error }
        }
      }
      return { stored: messages.length }
    })
  }
  const onError = init.onInboundError
  if (onError != null) s.addEventListener('session:error', (evt) => { onError(evt.detail.peer, evt.detail.error) })
  await (s as unknown as { start: () => Promise<void> }).start()
  services.push(s)
  return s
}

afterEach(async () => {
  await Promise.all(services.splice(0).map(async s => (s as unknown as { stop: () => Promise<void> }).stop()))
})

function msg (text = 'hello'): { id: string, timestamp: number, text: string } {
  return { id: newMessageId(), timestamp: Date.now(), text }
}

describe('securechat service', () => {
  it('delivers a message and resolves on ack, after the receiver stored it', async () => {
    const net = new Net()
    const [a, b] = [await newPeer(), await newPeer()]
    const received: IncomingMessage[] = []
    let stored = false
    const sa = await service(net, a)
    await service(net, b, {
      onMessage: async (m) => {
        await new Promise(resolve => setTimeout(resolve, 50))
        stored = true
        received.push(m)
      }
    })
    const m = msg('hi bob')
    await sa.sendBatch(b.id, [m])
    assert.equal(stored, true, 'send resolved before the receiver stored the message')
    assert.equal(received.length, 1)
    assert.equal(received[0]?.text, 'hi bob')
    assert.equal(received[0]?.id, m.id)
    assert.ok(received[0]?.from.equals(a.id))
  })

  it('reuses one session for many messages, in order', async () => {
    const net = new Net()
    const [a, b] = [await newPeer(), await newPeer()]
    const texts: string[] = []
    const sa = await service(net, a)
    await service(net, b, { onMessage: async (m) => { texts.push(m.text) } })
    await Promise.all(Array.from({ length: 50 }, async (_, i) => sa.sendBatch(b.id, [msg(`m${i}`)])))
    assert.deepEqual(texts, Array.from({ length: 50 }, (_, i) => `m${i}`))
    assert.equal(net.opened.length, 2, 'one stream pair expected')
  })

  it('does not ack when the receiver fails to store, and the sender sees an error', async () => {
    const net = new Net()
    const [a, b] = [await newPeer(), await newPeer()]
    const sa = await service(net, a, { sendTimeout: 2000 })
    await service(net, b, { onMessage: async () => { throw new Error('disk full') } })
    await assert.rejects(sa.sendBatch(b.id, [msg()]))
  })

  it('hands the receiver what arrived while it stored the last run as one run, acked in order', async () => {
    const net = new Net()
    const [a, b] = [await newPeer(), await newPeer()]
    const runs: string[][] = []
    const sa = await service(net, a)
    await service(net, b, {
      onMessages: async (messages) => {
        runs.push(messages.map(m => m.text))
        // a synced write takes a while: the sender's window fills meanwhile
        await new Promise(resolve => setTimeout(resolve, 20))
        return { stored: messages.length }
      }
    })
    const acked: string[] = []
    const batch = Array.from({ length: 40 }, (_, i) => msg(`m${i}`))
    await sa.sendBatch(b.id, batch, { onAck: (id) => { acked.push(id) } })
    assert.deepEqual(runs.flat(), batch.map(m => m.text), 'every message once, in order')
    assert.ok(runs.length < 40 && runs.some(r => r.length > 1), `runs ${runs.map(r => r.length).join(',')}`)
    assert.deepEqual(acked, batch.map(m => m.id), 'acks in order')
  })

  it('acks the part of a run that was stored and ends the session at the first that was not', async () => {
    const net = new Net()
    const [a, b] = [await newPeer(), await newPeer()]
    const stored: string[] = []
    let failed = false
    const sa = await service(net, a, { sendTimeout: 2000 })
    await service(net, b, {
      onMessages: async (messages) => {
        // fails once at m3, whatever else its run holds
        const stop = failed ? -1 : messages.findIndex(m => m.text === 'm3')
        failed ||= stop >= 0
        const upTo = stop >= 0 ? stop : messages.length
        stored.push(...messages.slice(0, upTo).map(m => m.text))
        return upTo < messages.length ? { stored: upTo, error: new Error('quota') } : { stored: upTo }
      }
    })
    const acked: string[] = []
    const batch = Array.from({ length: 6 }, (_, i) => msg(`m${i}`))
    // all six written at once: the receiver's first run may hold any prefix
    await assert.rejects(sa.sendBatch(b.id, batch, { onAck: (id) => { acked.push(id) } }))
    assert.ok(!stored.includes('m4') && !stored.includes('m5') && !stored.includes('m3'), `stored ${stored.join(',')}`)
    assert.deepEqual(acked, batch.slice(0, stored.length).map(m => m.id))
    // the retry from the first unacknowledged one goes through, in order
    await sa.sendBatch(b.id, batch.slice(acked.length))
    assert.deepEqual(stored, batch.map(m => m.text))
  })

  it('opens a new session after the idle one closed', async () => {
    const net = new Net()
    const [a, b] = [await newPeer(), await newPeer()]
    const texts: string[] = []
    const sa = await service(net, a, { idleTimeout: 100 })
    await service(net, b, { onMessage: async (m) => { texts.push(m.text) } })
    await sa.sendBatch(b.id, [msg('before')])
    await new Promise(resolve => setTimeout(resolve, 400))
    await sa.sendBatch(b.id, [msg('after')])
    assert.deepEqual(texts, ['before', 'after'])
    assert.equal(net.opened.length, 4, 'a second stream pair expected')
  })

  describe('attacks on the receiver', () => {
    async function attacker (net: Net, victim: TestPeer, onError: (err: Error) => void, init: TestInit = {}) {
      const texts: string[] = []
      await service(net, victim, { ...init, onMessage: async (m) => { texts.push(m.text) }, onInboundError: (_p, err) => { onError(err) } })
      const mallory = await newPeer()
      const stream = await net.open(mallory, victim.id)
      return { mallory, stream, texts }
    }

    function errors (): { next: Promise<Error>, onError: (err: Error) => void } {
      const { promise, resolve } = Promise.withResolvers<Error>()
      return { next: promise, onError: resolve }
    }

    it('resets the stream on a tampered frame and keeps serving others', async () => {
      const net = new Net()
      const victim = await newPeer()
      const { next, onError } = errors()
      const { mallory, stream, texts } = await attacker(net, victim, onError)
      const session = await performHandshake(stream, { role: 'initiator', localPeer: mallory.id, remotePeer: victim.id, privateKey: mallory.key, nickname: 'm' }, {})
      const frame = session.cipher.seal(encodeEnvelope({ type: 'chat', ...msg('evil') }))
      frame.ciphertext[3] = (frame.ciphertext[3] ?? 0) ^ 0xff
      await session.pb.write(frame, Frame)
      assert.equal((await next).name, 'DecryptionError')
      assert.deepEqual(texts, [])
      // an honest peer still gets through
      const alice = await newPeer()
      const sa = await service(net, alice)
      await sa.sendBatch(victim.id, [msg('honest')])
      assert.deepEqual(texts, ['honest'])
    })

    it('rejects a replayed frame', async () => {
      const net = new Net()
      const victim = await newPeer()
      const { next, onError } = errors()
      const { mallory, stream, texts } = await attacker(net, victim, onError)
      const session = await performHandshake(stream, { role: 'initiator', localPeer: mallory.id, remotePeer: victim.id, privateKey: mallory.key, nickname: 'm' }, {})
      const frame = session.cipher.seal(encodeEnvelope({ type: 'chat', ...msg('once') }))
      await session.pb.write(frame, Frame)
      await session.pb.write(frame, Frame)
      assert.equal((await next).name, 'ReplayError')
      assert.deepEqual(texts, ['once'])
    })

    it('rejects a Hello signed with a key that is not the connection peer\'s', async () => {
      const net = new Net()
      const victim = await newPeer()
      const { next, onError } = errors()
      const { stream } = await attacker(net, victim, onError)
      const other = await newPeer()
      // the connection says "mallory" but the Hello is signed by another key
      await assert.rejects(performHandshake(stream, { role: 'initiator', localPeer: other.id, remotePeer: victim.id, privateKey: other.key, nickname: 'x' }, { signal: AbortSignal.timeout(2000) }))
      assert.equal((await next).name, 'InvalidSignatureError')
    })

    it('rejects an oversized frame before buffering it', async () => {
      const net = new Net()
      const victim = await newPeer()
      const { next, onError } = errors()
      const { mallory, stream } = await attacker(net, victim, onError)
      const session = await performHandshake(stream, { role: 'initiator', localPeer: mallory.id, remotePeer: victim.id, privateKey: mallory.key, nickname: 'm' }, {})
      const raw = lpStream(session.pb.unwrap(), { maxDataLength: 10 * MAX_FRAME_BYTES })
      await raw.write(new Uint8Array(MAX_FRAME_BYTES + 1))
      assert.equal((await next).name, 'InvalidDataLengthError')
    })

    it('resets a peer that sends far ahead of its acks, without buffering it all', async () => {
      const net = new Net()
      const victim = await newPeer()
      const { next, onError } = errors()
      // a slow disk: each message takes a while to store
      const { mallory, stream } = await attacker(net, victim, onError, { onMessage: async () => { await new Promise(resolve => setTimeout(resolve, 50)) } })
      const session = await performHandshake(stream, { role: 'initiator', localPeer: mallory.id, remotePeer: victim.id, privateKey: mallory.key, nickname: 'm' }, {})
      // ~1 MiB of valid frames at once, never waiting for an ack or for drain
      for (let i = 0; i < 64; i++) {
        // not awaited: each write puts its frame on the stream at once, whatever the drain state
        void session.pb.write(session.cipher.seal(encodeEnvelope({ type: 'chat', ...msg('x'.repeat(16_000)) })), Frame).catch(() => {})
      }
      assert.equal((await next).name, 'StreamBufferError')
    })

    it('times out a peer that opens a stream and never says Hello', async () => {
      const net = new Net()
      const victim = await newPeer()
      const { next, onError } = errors()
      await attacker(net, victim, onError, { handshakeTimeout: 200 })
      assert.match((await next).name, /AbortError|TimeoutError/)
    })

    it('rejects an ack sent on the receiving side of a session', async () => {
      const net = new Net()
      const victim = await newPeer()
      const { next, onError } = errors()
      const { mallory, stream } = await attacker(net, victim, onError)
      const session = await performHandshake(stream, { role: 'initiator', localPeer: mallory.id, remotePeer: victim.id, privateKey: mallory.key, nickname: 'm' }, {})
      await writeFrame(session, encodeEnvelope({ type: 'ack', id: newMessageId() }), {})
      assert.equal((await next).name, 'InvalidEnvelopeError')
    })
  })
})

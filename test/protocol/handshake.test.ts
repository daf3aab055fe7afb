import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { Hello } from '../../src/protocol/pb/securechat.ts'
import { createHello, deriveSessionKeys, verifyHello } from '../../src/protocol/handshake.ts'
import { MAX_CLOCK_SKEW_MS } from '../../src/protocol/constants.ts'
import { newPeer } from '../helpers/peers.ts'
import type { TestPeer } from '../helpers/peers.ts'

async function exchange (a: TestPeer, b: TestPeer, now = Date.now()) {
  const ha = await createHello({ role: 'initiator', initiator: a.id, responder: b.id, privateKey: a.key, nickname: 'alice', now })
  const hb = await createHello({ role: 'responder', initiator: a.id, responder: b.id, privateKey: b.key, nickname: 'bob', now })
  return { ha, hb }
}

describe('handshake', () => {
  it('derives matching, direction-separated keys on both sides', async () => {
    const [a, b] = [await newPeer(), await newPeer()]
    const { ha, hb } = await exchange(a, b)
    const now = Date.now()
    const pa = await verifyHello(ha.hello, { role: 'initiator', initiator: a.id, responder: b.id, remotePeer: a.id, now })
    const pb = await verifyHello(hb.hello, { role: 'responder', initiator: a.id, responder: b.id, remotePeer: b.id, now })
    const ka = deriveSessionKeys('initiator', ha.ephemeral, hb.hello.ephemeralKey, ha.payload, pb)
    const kb = deriveSessionKeys('responder', hb.ephemeral, ha.hello.ephemeralKey, pa, hb.payload)
    assert.deepEqual(ka.sendKey, kb.recvKey)
    assert.deepEqual(ka.recvKey, kb.sendKey)
    assert.notDeepEqual(ka.sendKey, ka.recvKey)
  })

  it('gives fresh keys for every handshake between the same peers', async () => {
    const [a, b] = [await newPeer(), await newPeer()]
    const one = await exchange(a, b)
    const two = await exchange(a, b)
    const k1 = deriveSessionKeys('initiator', one.ha.ephemeral, one.hb.hello.ephemeralKey, one.ha.payload, one.hb.payload)
    const k2 = deriveSessionKeys('initiator', two.ha.ephemeral, two.hb.hello.ephemeralKey, two.ha.payload, two.hb.payload)
    assert.notDeepEqual(k1.sendKey, k2.sendKey)
  })

  it('binds the protocol: a Hello of /securechat/1.0.0 does not verify for another protocol, and the keys differ', async () => {
    const [a, b] = [await newPeer(), await newPeer()]
    const now = Date.now()
    const file = '/securechat/file/1.0.0'
    const ha = await createHello({ role: 'initiator', initiator: a.id, responder: b.id, privateKey: a.key, nickname: 'alice', now })
    await assert.rejects(verifyHello(ha.hello, { protocol: file, role: 'initiator', initiator: a.id, responder: b.id, remotePeer: a.id, now }), { name: 'InvalidSignatureError' })
    const hf = await createHello({ protocol: file, role: 'initiator', initiator: a.id, responder: b.id, privateKey: a.key, nickname: 'alice', now })
    await assert.rejects(verifyHello(hf.hello, { role: 'initiator', initiator: a.id, responder: b.id, remotePeer: a.id, now }), { name: 'InvalidSignatureError' })
    const payload = await verifyHello(hf.hello, { protocol: file, role: 'initiator', initiator: a.id, responder: b.id, remotePeer: a.id, now })
    const hb = await createHello({ protocol: file, role: 'responder', initiator: a.id, responder: b.id, privateKey: b.key, nickname: 'bob', now })
    const chat = deriveSessionKeys('initiator', hf.ephemeral, hb.hello.ephemeralKey, payload, hb.payload)
    const files = deriveSessionKeys('initiator', hf.ephemeral, hb.hello.ephemeralKey, payload, hb.payload, file)
    assert.notDeepEqual(chat.sendKey, files.sendKey)
  })

  it('rejects a Hello signed by another peer (wrong signer)', async () => {
    const [a, b, mallory] = [await newPeer(), await newPeer(), await newPeer()]
    // mallory signs a Hello that claims to be a's side of the a<->b handshake
    const forged = await createHello({ role: 'initiator', initiator: a.id, responder: b.id, privateKey: mallory.key, nickname: 'alice', now: Date.now() })
    await assert.rejects(
      verifyHello(forged.hello, { role: 'initiator', initiator: a.id, responder: b.id, remotePeer: a.id, now: Date.now() }),
      { name: 'InvalidSignatureError' }
    )
  })

  it('rejects a Hello replayed into a handshake with another peer', async () => {
    const [a, b, c] = [await newPeer(), await newPeer(), await newPeer()]
    const { ha } = await exchange(a, b)
    // a's Hello to b, replayed by b towards c, claiming to be a
    await assert.rejects(
      verifyHello(ha.hello, { role: 'initiator', initiator: a.id, responder: c.id, remotePeer: a.id, now: Date.now() }),
      { name: 'InvalidSignatureError' }
    )
  })

  it('rejects a Hello with its role swapped (reflection)', async () => {
    const [a, b] = [await newPeer(), await newPeer()]
    const { ha } = await exchange(a, b)
    await assert.rejects(
      verifyHello(ha.hello, { role: 'responder', initiator: a.id, responder: b.id, remotePeer: a.id, now: Date.now() }),
      { name: 'InvalidSignatureError' }
    )
  })

  it('rejects any change to a signed field', async () => {
    const [a, b] = [await newPeer(), await newPeer()]
    const { ha } = await exchange(a, b)
    const verify = async (hello: typeof ha.hello): Promise<unknown> => verifyHello(hello, { role: 'initiator', initiator: a.id, responder: b.id, remotePeer: a.id, now: Date.now() })
    const key = new Uint8Array(ha.hello.ephemeralKey)
    key[0] = (key[0] ?? 0) ^ 1
    await assert.rejects(verify({ ...ha.hello, ephemeralKey: key }), { name: 'InvalidSignatureError' })
    await assert.rejects(verify({ ...ha.hello, nickname: 'bob' }), { name: 'InvalidSignatureError' })
    await assert.rejects(verify({ ...ha.hello, timestamp: ha.hello.timestamp + 1n }), { name: 'InvalidSignatureError' })
    const sig = new Uint8Array(ha.hello.signature)
    sig[10] = (sig[10] ?? 0) ^ 0x80
    await assert.rejects(verify({ ...ha.hello, signature: sig }), { name: 'InvalidSignatureError' })
  })

  it('accepts nicknames with joiners (emoji sequences, Persian names)', async () => {
    const [a, b] = [await newPeer(), await newPeer()]
    for (const nickname of ['👨\u200d👩\u200d👧 family', 'می\u200cخواهم']) {
      const h = await createHello({ role: 'initiator', initiator: a.id, responder: b.id, privateKey: a.key, nickname, now: Date.now() })
      await verifyHello(h.hello, { role: 'initiator', initiator: a.id, responder: b.id, remotePeer: a.id, now: Date.now() })
    }
  })

  it('rejects a stale or future timestamp', async () => {
    const [a, b] = [await newPeer(), await newPeer()]
    const now = Date.now()
    const { ha } = await exchange(a, b, now - MAX_CLOCK_SKEW_MS - 1000)
    await assert.rejects(
      verifyHello(ha.hello, { role: 'initiator', initiator: a.id, responder: b.id, remotePeer: a.id, now }),
      { name: 'StaleHandshakeError' }
    )
    const future = await exchange(a, b, now + MAX_CLOCK_SKEW_MS + 1000)
    await assert.rejects(
      verifyHello(future.ha.hello, { role: 'initiator', initiator: a.id, responder: b.id, remotePeer: a.id, now }),
      { name: 'StaleHandshakeError' }
    )
  })

  it('rejects malformed Hellos before checking signatures', async () => {
    const [a, b] = [await newPeer(), await newPeer()]
    const { ha } = await exchange(a, b)
    const verify = async (hello: typeof ha.hello): Promise<unknown> => verifyHello(hello, { role: 'initiator', initiator: a.id, responder: b.id, remotePeer: a.id, now: Date.now() })
    await assert.rejects(verify({ ...ha.hello, version: 2 }), { name: 'InvalidHandshakeError' })
    await assert.rejects(verify({ ...ha.hello, ephemeralKey: new Uint8Array(31) }), { name: 'InvalidHandshakeError' })
    await assert.rejects(verify({ ...ha.hello, nickname: 'x'.repeat(65) }), { name: 'InvalidHandshakeError' })
    await assert.rejects(verify({ ...ha.hello, nickname: 'evil\u001b[2J' }), { name: 'InvalidHandshakeError' })
    await assert.rejects(verify({ ...ha.hello, nickname: 'ecila\u202e' }), { name: 'InvalidHandshakeError' })
    await assert.rejects(verify({ ...ha.hello, nickname: 'ali\u200bce' }), { name: 'InvalidHandshakeError' })
    await assert.rejects(verify({ ...ha.hello, signature: new Uint8Array(0) }), { name: 'InvalidHandshakeError' })
  })

  it('turns any bytes received as a Hello into a typed rejection (property)', async () => {
    const [a, b] = [await newPeer(), await newPeer()]
    const typed = new Set(['InvalidHandshakeError', 'InvalidSignatureError', 'StaleHandshakeError'])
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
      let hello: Hello
      try {
        hello = Hello.decode(bytes)
      } catch {
        return // the protobuf decoder refused it: the stream is reset by the caller
      }
      await assert.rejects(
        verifyHello(hello, { role: 'initiator', initiator: a.id, responder: b.id, remotePeer: a.id, now: Date.now() }),
        (err: Error) => typed.has(err.name)
      )
    }), { numRuns: 500 })
  })

  it('refuses a low-order X25519 point (all-zero shared secret)', async () => {
    const [a, b] = [await newPeer(), await newPeer()]
    const { ha, hb } = await exchange(a, b)
    assert.throws(
      () => deriveSessionKeys('initiator', ha.ephemeral, new Uint8Array(32), ha.payload, hb.payload),
      { name: 'InvalidHandshakeError' }
    )
  })
})

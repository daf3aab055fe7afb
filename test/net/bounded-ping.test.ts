/**
 * boundedPing (src/net/bounded-ping.ts) between two real libp2p nodes on
 * loopback: an ordinary ping is answered as before; a peer that writes to
 * its ping stream and never reads the echoes has the stream reset instead
 * of the node buffering everything it writes.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { boundedPing } from '../../src/net/bounded-ping.ts'
import type { Libp2p } from 'libp2p'

const PING = '/ipfs/ping/1.0.0'
const nodes: Libp2p[] = []
after(async () => { await Promise.allSettled(nodes.map(async n => n.stop())) })

async function node (services: Record<string, (components: never) => unknown>): Promise<Libp2p> {
  const n = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services
  } as unknown as Parameters<typeof createLibp2p>[0])
  nodes.push(n)
  return n
}

void describe('boundedPing', () => {
  void it('answers an ordinary ping', async () => {
    const server = await node({ ping: boundedPing() })
    const client = await node({ ping: ping() }) as Libp2p<{ ping: { ping: (addr: unknown) => Promise<number> } }>
    const rtt = await client.services.ping.ping(server.getMultiaddrs())
    assert.ok(Number.isFinite(rtt) && rtt >= 0)
  })

  void it('resets a ping stream whose echoes are never read, before it has taken in more than a few MB', async () => {
    const server = await node({ ping: boundedPing() })
    const client = await node({})
    const connection = await client.dial(server.getMultiaddrs())
    const stream = await connection.newStream(PING)
    // never read: no window updates from here on, so the echoes pile up at the server
    stream.pause()
    const chunk = new Uint8Array(16 * 1024)
    let written = 0
    const deadline = Date.now() + 20_000
    while (stream.status === 'open' && Date.now() < deadline && written < 256 * 1024 * 1024) {
      try {
        if (stream.writeBufferLength > 0) await stream.onDrain({ signal: AbortSignal.timeout(2_000) })
        if (stream.status !== 'open') break
        stream.send(chunk)
        written += chunk.byteLength
      } catch {
        // the wait ran out, or the server reset the stream
      }
      await new Promise(resolve => setImmediate(resolve))
    }
    await new Promise(resolve => setTimeout(resolve, 200))
    assert.notEqual(stream.status, 'open', `still open after ${written} bytes written`)
    assert.ok(written < 64 * 1024 * 1024, `the server took in ${written} bytes before the reset`)
  })
})

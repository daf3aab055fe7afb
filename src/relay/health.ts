/**
 * The relay health check (`securechat relay-health`, the container's
 * HEALTHCHECK): dials the relay like a client would, runs identify, and
 * passes only if the node answering speaks the circuit relay v2 hop protocol.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { RELAY_V2_HOP_CODEC } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { ProtocolError, setMaxListeners } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { tcpListenAddr } from '../net/multiaddr.ts'
import { RELAY_DEFAULT_PORT, RELAY_HEALTH_TIMEOUT_MS } from './constants.ts'
import type { Identify } from '@libp2p/identify'
import type { AbortOptions } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'

export interface HealthInit {
  host?: string
  port?: number
}

export interface HealthReport {
  peerId: string
  rtt: number
}

/** Resolves with the relay's peer id and ping time, or rejects with why it is unhealthy */
export async function checkRelayHealth (init: HealthInit = {}, options: AbortOptions = {}): Promise<HealthReport> {
  const signal = options.signal ?? AbortSignal.timeout(RELAY_HEALTH_TIMEOUT_MS)
  setMaxListeners(Infinity, signal)
  const host = init.host ?? '127.0.0.1'
  const target = multiaddr(tcpListenAddr(host, init.port ?? RELAY_DEFAULT_PORT))

  const client = await createLibp2p<{ identify: Identify, ping: Ping }>({
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: { identify: identify({ runOnConnectionOpen: false }), ping: ping() }
  })

  try {
    const connection = await client.dial(target, { signal })
    const result = await client.services.identify.identify(connection, { signal })

    if (!result.protocols.includes(RELAY_V2_HOP_CODEC)) {
      throw new ProtocolError('the node at that address is not a circuit relay')
    }

    const rtt = await client.services.ping.ping(connection.remotePeer, { signal })
    return { peerId: connection.remotePeer.toString(), rtt }
  } finally {
    await client.stop()
  }
}

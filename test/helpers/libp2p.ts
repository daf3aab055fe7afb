/**
 * A bare libp2p node on loopback with securechat's transport stack (TCP,
 * Noise, Yamux) and only the services given: the baseline of benchmarks and
 * the peer that protocol tests drive by hand. The caller stops it.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import type { Libp2p, PrivateKey, ServiceMap } from '@libp2p/interface'
import type { ServiceFactoryMap } from 'libp2p'

export interface BareNodeInit<S extends ServiceMap> {
  services?: ServiceFactoryMap<S>
  privateKey?: PrivateKey
}

export async function bareNode<S extends ServiceMap = ServiceMap> (init: BareNodeInit<S> = {}): Promise<Libp2p<S>> {
  return createLibp2p<S>({
    ...(init.privateKey == null ? {} : { privateKey: init.privateKey }),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // every test node dials from 127.0.0.1: libp2p's default (5 a second per host) would refuse the sixth
    connectionManager: { inboundConnectionThreshold: 1_000 },
    ...(init.services == null ? {} : { services: init.services })
  })
}

/**
 * Two bare libp2p nodes on loopback running the file-transfer service, each
 * with a real store in a temp dir and stand-ins for contacts (everyone a
 * contact, except the peers put in `blocked`; verified: those in
 * `verified`) and the relay keeper; each knows the other's addresses. With
 * `relay`, the sides also speak circuit relay v2 and identify, so that a
 * real relay (src/relay/server.ts) can carry their connection, and nothing
 * upgrades it to a direct one but the test. `cleanup()` stops and removes
 * them all.
 */
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { serviceCapabilities } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { files } from '../../src/files/index.ts'
import { createStore } from '../../src/store/index.ts'
import { bareNode } from './libp2p.ts'
import { createTempDir } from './tmp.ts'
import type { Files, FilesEvents, FilesInit } from '../../src/files/index.ts'
import type { Store } from '../../src/store/index.ts'
import type { TempDir } from './tmp.ts'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface FileSide {
  node: Libp2p<{ files: Files }>
  store: Store
  dir: TempDir
  downloads: string
  key: PrivateKey
  /** peer ids this side treats as blocked */
  blocked: Set<string>
  /** peer ids this side treats as verified contacts */
  verified: Set<string>
}

export interface SideInit {
  /** speak circuit relay v2 (and identify) too */
  relay?: boolean
  /** with `relay`: the addresses this side may dial (a gater), so that a test decides when a direct connection may appear */
  allowDial?: (addr: Multiaddr) => boolean
  files?: Pick<FilesInit, 'autoAccept'>
}

export class FileNodes {
  private readonly cleanups: Array<() => Promise<void>> = []

  async side (init: SideInit = {}): Promise<FileSide> {
    const dir = await createTempDir('securechat-files-')
    const store = createStore({ dataDir: join(dir.path, 'data') })
    await store.open()
    const downloads = join(dir.path, 'downloads')
    const key = await generateKeyPair('Ed25519')
    const blocked = new Set<string>()
    const verified = new Set<string>()
    const services = {
      store: () => store,
      contacts: () => ({
        [serviceCapabilities]: ['securechat:contacts'],
        relation: () => 'contact',
        isBlocked: (p: string) => blocked.has(p),
        info: (p: string) => ({ peerId: p, relation: 'contact', verified: verified.has(p) })
      }),
      relayKeeper: () => ({ [serviceCapabilities]: ['securechat:relay-keeper'], routeThroughRelays: async () => {} }),
      files: files({ downloads, nickname: 'tester', retryBase: 50, retryCap: 200, ...init.files })
    } as never
    const node: Libp2p<{ files: Files }> = init.relay === true
      ? await createLibp2p({
        privateKey: key,
        addresses: { listen: ['/ip4/127.0.0.1/tcp/0', '/p2p-circuit'] },
        transports: [tcp(), circuitRelayTransport()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        connectionManager: { inboundConnectionThreshold: 1_000 },
        connectionGater: { denyDialMultiaddr: (addr: Multiaddr) => !(init.allowDial?.(addr) ?? true) },
        services: { ...(services as object), identify: identify() } as never
      })
      : await bareNode<{ files: Files }>({ privateKey: key, services })
    this.cleanups.push(async () => { await node.stop(); await store.close(); await dir.remove() })
    return { node, store, dir, downloads, key, blocked, verified }
  }

  async pair (): Promise<[FileSide, FileSide]> {
    const [a, b] = await Promise.all([this.side(), this.side()])
    await a.node.peerStore.merge(b.node.peerId, { multiaddrs: b.node.getMultiaddrs() })
    await b.node.peerStore.merge(a.node.peerId, { multiaddrs: a.node.getMultiaddrs() })
    return [a, b]
  }

  async cleanup (): Promise<void> {
    for (const c of this.cleanups.splice(0).reverse()) await c().catch(() => {})
  }
}

/** The next `type` event of `f` that `match`es, within `ms` */
export async function nextFileEvent<K extends keyof FilesEvents> (f: Files, type: K, match: (d: FilesEvents[K]['detail']) => boolean = () => true, ms = 30_000): Promise<FilesEvents[K]['detail']> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`no ${type} event within ${ms} ms`)) }, ms)
    const listener = (evt: Event): void => {
      const detail = (evt as CustomEvent).detail as FilesEvents[K]['detail']
      if (match(detail)) {
        clearTimeout(timer)
        f.removeEventListener(type, listener)
        resolve(detail)
      }
    }
    f.addEventListener(type, listener)
  })
}

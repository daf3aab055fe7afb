/**
 * The relay as its image runs it: built with podman (see image.ts), started
 * with the image's own ENTRYPOINT (tini) and CMD (`relay`, port from the
 * image's SECURECHAT_RELAY_PORT) in a network namespace, its key in a host
 * directory mounted at /data. Two securechat nodes from the repository
 * reserve on it and chat through it, its HEALTHCHECK passes, `docker stop`
 * ends it with code 0, and a restart on the same /data keeps its peer id.
 *
 *   lan: relay (container) ── alice, bob
 *
 * alice and bob share the bridge but a firewall in their namespaces keeps
 * them apart (mDNS included), so whatever they exchange goes through the
 * relay.
 */
import assert from 'node:assert/strict'
import { chown } from 'node:fs/promises'
import { after, before, describe, test } from 'node:test'
import { is } from '../helpers/events.ts'
import { spawnChat } from '../helpers/process.ts'
import type { ChatProcess } from '../helpers/process.ts'
import { tempDir } from '../helpers/tmp.ts'
import { Topology, netnsSkip } from '../net/netns.ts'
import type { Host } from '../net/netns.ts'
import { buildImage, cleanupStaleContainers, makeBaseImage, MountedImage, podmanSkip } from './image.ts'
import type { Container } from './image.ts'
import { steps } from '../helpers/steps.ts'

/** Its own tag, so that a concurrent dockerfile.nettest.ts build cannot retag it mid-test; layers are shared */
const TAG = 'localhost/securechat-relay:relay-image-nettest'
/** The image's SECURECHAT_RELAY_PORT */
const PORT = 4001
/** The `node` user of the base image, which owns /data */
const IMAGE_UID = 1000

const START = 90_000
const RESERVE = 90_000
const DELIVER = 60_000

const skip = await podmanSkip()
const netSkip = skip === false ? await netnsSkip() : skip

interface Node {
  name: string
  host: Host
  proc: ChatProcess
  peerId: string
}

describe('the relay image runs the relay', { skip: netSkip }, () => {
  let image: MountedImage | undefined

  before(async () => {
    await cleanupStaleContainers()
    const base = await makeBaseImage()
    console.log(`# base image ${base.created ? `built in ${base.seconds.toFixed(1)} s` : 'already present'}`)
    const built = await buildImage({ tag: TAG })
    console.log(`# podman build ${TAG}: ${built.seconds.toFixed(1)} s (log ${built.logFile})`)
    image = await MountedImage.mount(TAG)
  }, { timeout: 30 * 60_000 })

  after(async () => {
    await image?.close()
  })

  test('nodes reserve on it and chat through it; healthy, stops on SIGTERM, keeps its peer id', { timeout: 600_000 }, async (t) => {
    assert.ok(image != null, 'image was not mounted')
    const mounted = image
    assert.ok(mounted.config.env.includes(`SECURECHAT_RELAY_PORT=${PORT}`), mounted.config.env.join(' '))

    const net = Topology.create({ t })
    const lan = await net.addBridge('lan')
    const relayHost = await net.addHost('relay', { bridge: lan })
    const aliceHost = await net.addHost('alice', { bridge: lan })
    const bobHost = await net.addHost('bob', { bridge: lan })
    // keep alice and bob apart: no unicast, no mDNS between them
    for (const [host, other] of [[aliceHost, bobHost], [bobHost, aliceHost]] as const) {
      await net.run(host, 'iptables', ['-A', 'INPUT', '-s', other.ip, '-j', 'DROP'])
      await net.run(host, 'iptables', ['-A', 'OUTPUT', '-d', other.ip, '-j', 'REJECT'])
    }

    const data = await tempDir(t, 'securechat-relay-data-')
    await chown(data, IMAGE_UID, IMAGE_UID)

    /** the image's own ENTRYPOINT and CMD; resolves with the relay's peer id and multiaddr once it listens */
    const startRelay = async (): Promise<{ container: Container, peerId: string, addr: string }> => {
      const container = mounted.start({ ns: relayHost, binds: [{ source: data, target: '/data' }], t })
      // text mode: `securechat relay <peer id>`, then one multiaddr per line
      const listening = new RegExp(`^\\s*(/ip4/${relayHost.ip.replaceAll('.', '\\.')}/tcp/${PORT}/p2p/(\\w+))\\s*$`, 'm')
      await container.waitForOutput(listening, START)
      const match = listening.exec(container.stdout)
      assert.ok(match?.[1] != null && match[2] != null, container.diagnostics())
      assert.match(container.stdout, new RegExp(`securechat relay ${match[2]}`))
      return { container, peerId: match[2], addr: match[1] }
    }

    let relay = await startRelay()
    t.diagnostic(`relay in the image: ${relay.addr}`)

    const step = steps(t)

    await step('the image\'s HEALTHCHECK passes while the relay runs', async () => {
      const health = await relay.container.runHealthcheck()
      assert.equal(health.code, 0, `stdout:\n${health.stdout}\nstderr:\n${health.stderr}`)
      assert.equal(health.timedOut, false)
      assert.match(health.stdout, new RegExp(`healthy: relay ${relay.peerId}`))
    })

    const nodes: Node[] = []
    await step('two nodes from the repository reserve a slot on it', async () => {
      for (const [name, host] of [['alice', aliceHost], ['bob', bobHost]] as const) {
        const dataDir = await tempDir(t, `securechat-${name}-`)
        const proc = spawnChat({ name, dataDir, host: host.ip, ns: host, t, args: ['--relay', relay.addr] })
        const ready = await proc.waitFor(is('ready'), { timeout: START })
        nodes.push({ name, host, proc, peerId: ready.peerId })
      }
      for (const n of nodes) {
        await n.proc.waitFor(is('relay', { peerId: relay.peerId, status: 'reserved' }), { timeout: RESERVE })
      }
    })

    const chat = async (from: Node, to: Node, text: string): Promise<void> => {
      const pending = await from.proc.request(`/msg ${to.peerId} ${text}`, is('pending', { to: to.peerId, text }))
      const received = await to.proc.waitFor(is('message', { id: pending.id }), { timeout: DELIVER })
      assert.equal(received.from, from.peerId)
      assert.equal(received.text, text)
      await from.proc.waitFor(is('delivered', { id: pending.id }), { timeout: DELIVER })
    }

    await step('they chat through it both ways, over relayed connections only', async () => {
      const [alice, bob] = nodes as [Node, Node]
      await chat(alice, bob, 'hello bob, via the containerised relay')
      await chat(bob, alice, 'hello alice, same way back')
      for (const [n, other] of [[alice, bob], [bob, alice]] as const) {
        const connected = n.proc.all(is('peer', { peerId: other.peerId, status: 'connected' }))
        assert.ok(connected.length > 0 && connected.every(e => e.connection === 'relayed'), `${n.name}: ${JSON.stringify(connected)}`)
      }
    })

    await step('`docker stop` (SIGTERM to tini) stops the relay with code 0', async () => {
      const stopped = await relay.container.stop(15_000)
      assert.deepEqual(stopped, { code: 0, signal: null, forced: false }, relay.container.diagnostics())
      assert.match(relay.container.stdout, /relay stopped/)
    })

    await step('restarted on the same /data, it keeps its peer id; the nodes reserve again and chat on', async () => {
      const marks = nodes.map(n => n.proc.mark())
      const before = relay.peerId
      relay = await startRelay()
      assert.equal(relay.peerId, before, 'same peer id: the key lives in /data')
      const health = await relay.container.runHealthcheck()
      assert.equal(health.code, 0, health.stdout)

      const [alice, bob] = nodes as [Node, Node]
      await Promise.all(nodes.map(async (n, i) => {
        await n.proc.waitFor(is('relay', { peerId: relay.peerId, status: 'reserved' }), { since: marks[i], timeout: RESERVE })
      }))
      await chat(alice, bob, 'the relay is back')
      await chat(bob, alice, 'with the same address')

      const stopped = await relay.container.stop(15_000)
      assert.deepEqual(stopped, { code: 0, signal: null, forced: false }, relay.container.diagnostics())
    })

    await step('the nodes stop cleanly', async () => {
      const exits = await Promise.all(nodes.map(async n => await n.proc.stop()))
      assert.deepEqual(exits, nodes.map(() => ({ code: 0, signal: null, forced: false })))
    })
  })
})

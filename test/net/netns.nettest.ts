/**
 * Self-test of the namespace helpers: the topologies the other network tests
 * stand on really connect, cut, NAT and clean up.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { CommandError, Topology, cleanupStale, listNamespaces, netnsSkip, run } from './netns.ts'

const skip = await netnsSkip()

async function ping (topology: Topology, from: { ns: string }, ip: string): Promise<boolean> {
  try {
    await topology.run(from, 'ping', ['-c', '1', '-W', '2', ip])
    return true
  } catch (err) {
    if (err instanceof CommandError) {
      return false
    }
    throw err
  }
}

/** Start a TCP server in `ns` that prints the address of each client */
async function addressEcho (topology: Topology, ns: string, ip: string, port: number): Promise<{ next: () => Promise<string>, close: () => void }> {
  const script = `
    const net = require('node:net')
    net.createServer(s => { console.log(s.remoteAddress); s.end() })
      .listen(${port}, '${ip}', () => console.log('listening'))`
  const child = topology.spawn(ns, process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: string[] = []
  let wake: (() => void) | undefined
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    lines.push(...chunk.split('\n').filter(l => l !== ''))
    wake?.()
  })
  const next = async (): Promise<string> => {
    while (lines.length === 0) {
      if (child.exitCode != null) {
        throw new Error('address echo server exited')
      }
      await new Promise<void>(resolve => { wake = resolve; setTimeout(resolve, 200) })
    }
    return lines.shift() ?? ''
  }
  assert.equal(await next(), 'listening')
  return { next, close: () => { child.kill('SIGKILL') } }
}

await test('joins three hosts on a bridge', { skip }, async (t) => {
  const topology = Topology.create({ t })
  const lan = await topology.addBridge('lan')
  const hosts = [
    await topology.addHost('alice', { bridge: lan }),
    await topology.addHost('bob', { bridge: lan }),
    await topology.addHost('carol', { bridge: lan })
  ]
  assert.deepEqual(hosts.map(h => h.ip), ['10.77.1.10', '10.77.1.11', '10.77.1.12'])
  for (const from of hosts) {
    for (const to of hosts) {
      if (from !== to) {
        assert.ok(await ping(topology, from, to.ip), `${from.label} -> ${to.label}`)
      }
    }
  }
  // the addresses exist only inside the namespaces
  const rootAddrs = await run('ip', ['-4', '-o', 'addr'])
  assert.ok(!rootAddrs.includes('10.77.1.'), 'no test address in the root namespace')
})

await test('cuts a link and restores it', { skip }, async (t) => {
  const topology = Topology.create({ t })
  const lan = await topology.addBridge('lan')
  const alice = await topology.addHost('alice', { bridge: lan })
  const bob = await topology.addHost('bob', { bridge: lan })

  assert.ok(await ping(topology, alice, bob.ip))
  await topology.setLink(bob, 'down')
  assert.equal(await ping(topology, alice, bob.ip), false, 'cut: alice cannot reach bob')
  assert.equal(await ping(topology, bob, alice.ip), false, 'cut: bob cannot reach alice')
  await topology.setLink(bob, 'up')
  assert.ok(await ping(topology, alice, bob.ip), 'restored')
  assert.ok(await ping(topology, bob, alice.ip), 'restored')
})

await test('masquerades hosts behind a NAT router', { skip }, async (t) => {
  const topology = Topology.create({ t })
  const internet = await topology.addBridge('inet', { subnet: '10.77.100.0/24' })
  const home = await topology.addBridge('home', { subnet: '10.77.10.0/24' })
  const router = await topology.addRouter('nat', { lan: home, wan: internet })
  const inside = await topology.addHost('inside', { bridge: home, gateway: router.lan.ip })
  const server = await topology.addHost('server', { bridge: internet })
  assert.equal(router.lan.ip, '10.77.10.1')

  assert.ok(await ping(topology, inside, server.ip), 'inside reaches the public host')
  assert.equal(await ping(topology, server, inside.ip), false, 'the public host cannot reach inside')

  const echo = await addressEcho(topology, server.ns, server.ip, 4000)
  t.after(echo.close)
  const client = topology.spawn(inside, process.execPath, ['-e',
    `require('node:net').connect(4000, '${server.ip}').on('data', () => {}).on('end', () => process.exit(0))`],
  { stdio: 'inherit' })
  const [code] = await once(client, 'exit') as [number | null]
  assert.equal(code, 0)
  assert.equal(await echo.next(), router.wan.ip, 'the server sees the router\'s address')
})

await test('keeps parallel topologies apart and leaves nothing behind', { skip }, async () => {
  const a = Topology.create()
  const b = Topology.create()
  try {
    const [lanA, lanB] = await Promise.all([a.addBridge('lan'), b.addBridge('lan')])
    // same labels, same addresses, no collision
    const [hostA, hostB] = await Promise.all([a.addHost('alice', { bridge: lanA }), b.addHost('alice', { bridge: lanB })])
    assert.equal(hostA.ip, hostB.ip)
    assert.notEqual(hostA.ns, hostB.ns)
    assert.ok(await ping(a, hostA, hostA.ip))
    for (const name of [...a.names, ...b.names]) {
      assert.ok(name.length <= 40, name)
    }
  } finally {
    await a.destroy()
    await b.destroy()
    await a.destroy() // idempotent
  }
  const left = (await listNamespaces()).filter(ns => ns.startsWith(a.id) || ns.startsWith(b.id))
  assert.deepEqual(left, [])
  await assert.rejects(a.addNamespace('late'), /destroyed/)
})

await test('cleans up namespaces of dead runs only', { skip }, async (t) => {
  // a pid that surely belongs to no process any more
  const child = spawn(process.execPath, ['-e', ''])
  await once(child, 'exit')
  const deadPid = child.pid ?? 0
  const stale = `sct-${deadPid.toString(36)}-abc123-stale`
  const mine = Topology.create({ t })
  await run('ip', ['netns', 'add', stale])
  t.after(async () => { await run('ip', ['netns', 'delete', stale]).catch(() => {}) })
  const ours = await mine.addNamespace('alive')

  const deleted = await cleanupStale('sct')
  assert.ok(deleted.includes(stale), 'the dead run\'s namespace is deleted')
  const left = await listNamespaces()
  assert.ok(!left.includes(stale))
  assert.ok(left.includes(ours), 'the live run\'s namespace is kept')
})

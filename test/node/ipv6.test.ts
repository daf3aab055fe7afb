/**
 * `securechat --host ::1`: the listen address is built for IPv6 too, and two
 * real processes chat over IPv6 loopback (mDNS off: nothing leaves the host).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { is, where } from '../helpers/events.ts'
import { spawnChat } from '../helpers/process.ts'
import { tempDir } from '../helpers/tmp.ts'

void describe('--host ::1', () => {
  void it('listens on IPv6 loopback and chats with a peer over it', async (t) => {
    const alice = spawnChat({ name: 'alice', dataDir: await tempDir(t), host: '::1', args: ['--no-mdns'], t })
    const bob = spawnChat({ name: 'bob', dataDir: await tempDir(t), host: '::1', args: ['--no-mdns'], t })
    const [a, b] = await Promise.all([alice.waitFor(is('ready')), bob.waitFor(is('ready'))])

    assert.ok(a.addrs.length > 0)
    for (const addr of a.addrs) {
      assert.match(addr, /^\/ip6\/::1\/tcp\/\d+\/p2p\//, 'only IPv6 loopback addresses')
    }

    await bob.request(`/connect ${a.addrs[0] ?? ''}`, is('connected', { peerId: a.peerId }))
    const pending = await bob.request(`/msg ${a.peerId} hello over ipv6`, is('pending'))
    await bob.waitFor(is('delivered', { id: pending.id }))
    await alice.waitFor(where('message', 'the message from bob', m => m.from === b.peerId && m.text === 'hello over ipv6'))

    await alice.request(`/msg ${b.peerId} and back`, is('pending'))
    await bob.waitFor(where('message', 'the reply', m => m.from === a.peerId && m.text === 'and back'))
  })
})

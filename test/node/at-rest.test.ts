/**
 * Nothing readable on a stolen disk: two real nodes with passphrases become
 * contacts, name and verify each other and chat both ways; afterwards no
 * file in either data dir holds a peer id (base58, raw multihash, public
 * key, hex, base64), a text, a nickname, a petname, a message id or a
 * message time. (What remains in clear is in the README.)
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { findOnDisk, peerIdNeedles, textNeedles } from '../helpers/files.ts'
import { nextEvent, until } from '../helpers/node-events.ts'
import { LoopbackNodes } from '../helpers/nodes.ts'
import type { Needle } from '../helpers/files.ts'
import type { ChatMessage } from '../../src/types.ts'

const loopback = new LoopbackNodes('securechat-at-rest-')
after(async () => { await loopback.cleanup() })

void describe('data dirs at rest', () => {
  void it('hold no peer id, text, nickname, petname, message id or time in any file', async () => {
    const [aliceDir, bobDir] = [await loopback.dataDir(), await loopback.dataDir()]
    const alice = await loopback.start({ name: 'Alicenick', dataDir: aliceDir, passphrase: 'alice passphrase of the test', delivery: { retryBase: 100, retryCap: 500 } })
    const bob = await loopback.start({ name: 'Bobnick', dataDir: bobDir, passphrase: 'bob passphrase of the test', delivery: { retryBase: 100, retryCap: 500 } })
    await alice.connect(bob.addrs()[0] ?? '')

    const sent: ChatMessage[] = []
    const request = nextEvent(bob, 'message')
    sent.push(await alice.send(bob.peerId, 'first secret words from alice'))
    await request
    await bob.accept(alice.peerId)
    await bob.setPetname(alice.peerId, 'Petname of Alice')
    await alice.setPetname(bob.peerId, 'Petname of Bob')
    await bob.verify(alice.peerId)
    for (let i = 0; i < 5; i++) {
      sent.push(await bob.send(alice.peerId, `bob secret reply ${i}`))
      sent.push(await alice.send(bob.peerId, `alice secret line ${i}`))
    }
    await until('all delivered', async () => (await alice.history(bob.peerId, { limit: 100 })).every(m => m.direction === 'in' || m.status === 'delivered' || m.status === 'read'), 20_000)
    await until('bob has them all', async () => (await bob.history(alice.peerId, { limit: 100 })).length === sent.length, 20_000)
    const [alicePeer, bobPeer] = [alice.peerId, bob.peerId]
    await alice.stop()
    await bob.stop()

    const needles: Needle[] = [
      ...peerIdNeedles('alice', alicePeer),
      ...peerIdNeedles('bob', bobPeer),
      ...['Alicenick', 'Bobnick', 'Petname of Alice', 'Petname of Bob'].flatMap(name => textNeedles(name, name)),
      ...sent.flatMap((m, i) => [
        ...textNeedles(`text ${i}`, m.text),
        ...textNeedles(`id ${i}`, m.id),
        ...textNeedles(`ts ${i}`, String(m.ts)),
        // a time to the second, as LevelDB keys of format 1 held it
        ...textNeedles(`ts/1000 ${i}`, String(Math.floor(m.ts / 1000)))
      ]),
      ...textNeedles('words', 'secret')
    ]
    for (const dir of [aliceDir, bobDir]) {
      // control: the search reads the database files (their sublevel prefixes are in clear)
      assert.ok((await findOnDisk(dir, textNeedles('sublevel', '!history!'))).length > 0)
      assert.deepEqual(await findOnDisk(dir, needles), [])
    }
  })
})

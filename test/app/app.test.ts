/**
 * The application API's peer arguments over a scripted node: a full peer id
 * is resolved from memory (the contact relation alone), anything else from
 * the peer list, with the same answer either way.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { chatApp } from '../../src/app/index.ts'
import { StubNode, peerView } from '../cli/stub-node.ts'
import { newPeerId } from '../helpers/peers.ts'

void describe('chatApp peer arguments', () => {
  void it('a full peer id needs no peer list: every message marked read and every send by id stays O(1)', async () => {
    const [me, bob, mallory] = await Promise.all([newPeerId(), newPeerId(), newPeerId()])
    const node = new StubNode({ peerId: me, peers: [peerView(bob, 'bob', true, 'contact'), peerView(mallory, 'mallory', true, 'stranger')] })
    const app = chatApp(node)

    assert.deepEqual(await app.execute({ type: 'markRead', peer: bob, ids: ['a'] }), { peer: bob, ids: ['a'] })
    assert.deepEqual(await app.execute({ type: 'resolve', peer: bob }), { peerId: bob, by: 'id', stranger: false })
    assert.deepEqual(await app.execute({ type: 'resolve', peer: mallory }), { peerId: mallory, by: 'id', stranger: true })
    const sent = await app.execute({ type: 'send', peer: mallory, text: 'hi' })
    assert.equal(sent.stranger, true, 'a stranger found by id is still said to be one')
    assert.ok(!node.calls.includes('peers'), `no peer list read: ${node.calls.join(', ')}`)

    // a nickname needs the list, and finds the same peer
    assert.deepEqual(await app.execute({ type: 'resolve', peer: 'bob' }), { peerId: bob, by: 'contact', stranger: false })
    assert.ok(node.calls.includes('peers'))
    await app.stop()
  })
})

/**
 * The application API over a scripted node. Peer arguments: a full peer id
 * is resolved from memory (the contact relation alone), anything else from
 * the peer list, with the same answer either way. Rooms: the commands'
 * shapes and the room rules are checked before the node is called.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InvalidRoomKeyError, InvalidRoomNameError, MAX_ROOM_NAME_BYTES, RoomLimitError, UnknownRoomError, chatApp } from '../../src/app/index.ts'
import { StubNode, peerView } from '../cli/stub-node.ts'
import { newPeerId } from '../helpers/peers.ts'
import type { Command, RoomEvent } from '../../src/app/index.ts'

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

void describe('chatApp rooms', () => {
  void it('checks the shape of join, leave and rooms: InvalidCommandError, the node not called', async () => {
    const node = new StubNode({ peerId: await newPeerId() })
    const app = chatApp(node)

    for (const command of [
      { type: 'join' },
      { type: 'join', room: 7 },
      { type: 'join', room: 'demo', key: 42 },
      { type: 'join', room: 'demo', key: null },
      { type: 'leave' },
      { type: 'leave', room: ['demo'] }
    ]) {
      await assert.rejects(app.execute(command as unknown as Command), { name: 'InvalidCommandError' }, JSON.stringify(command))
    }
    // the message names the field, never its value (a key is a secret)
    await assert.rejects(app.execute({ type: 'join', room: 'demo', key: { secret: 'hunter2' } } as unknown as Command), (err: Error) => {
      assert.equal(err.message, 'join: key must be a string')
      return true
    })
    assert.deepEqual(node.calls, [])
    await app.stop()
  })

  void it('the name and key rules before the node (and its KDF) runs, the errors never carrying the key', async () => {
    const node = new StubNode({ peerId: await newPeerId() })
    const app = chatApp(node)
    const key = 'hunter2'.repeat(40)

    for (const [command, name] of [
      [{ type: 'join', room: '' }, InvalidRoomNameError.name],
      [{ type: 'join', room: '#demo' }, InvalidRoomNameError.name],
      [{ type: 'join', room: 'two words' }, InvalidRoomNameError.name],
      [{ type: 'join', room: 'x'.repeat(MAX_ROOM_NAME_BYTES + 1) }, InvalidRoomNameError.name],
      [{ type: 'join', room: 'demo', key: '' }, InvalidRoomKeyError.name],
      [{ type: 'join', room: 'demo', key }, InvalidRoomKeyError.name]
    ] as const) {
      await assert.rejects(app.execute(command), (err: Error) => {
        assert.equal(err.name, name, JSON.stringify(command))
        assert.ok(!err.message.includes('hunter2'), err.message)
        return true
      })
    }
    assert.deepEqual(node.calls, [])
    await app.stop()
  })

  void it('join, rooms and leave run on the node; room events pass through; UnknownRoomError and RoomLimitError', async () => {
    const [me, bob] = await Promise.all([newPeerId(), newPeerId()])
    const node = new StubNode({ peerId: me, peers: [peerView(bob, 'bob', true)] })
    const app = chatApp(node)
    const events: RoomEvent[] = []
    app.addEventListener('room', (evt) => { events.push(evt.detail) })

    const demo = await app.execute({ type: 'join', room: 'demo' })
    const team = await app.execute({ type: 'join', room: 'Team', key: 'correct horse' })
    assert.deepEqual({ ...demo, joinedAt: 0 }, { id: demo.id, name: 'demo', hasKey: false, joinedAt: 0, members: [] })
    assert.equal(team.hasKey, true)
    // the same name in another case and the same key: the room joined already, as it is (no event)
    assert.deepEqual(await app.execute({ type: 'join', room: 'team', key: 'correct horse' }), team)
    assert.notEqual((await app.execute({ type: 'join', room: 'team' })).id, team.id, 'no key: another room')
    assert.deepEqual(node.calls, ['join demo', 'join Team with a key', 'join team with a key', 'join team'], 'no key recorded')

    node.roomMember('demo', bob, true, 1_700_000_000_000)
    const rooms = await app.execute({ type: 'rooms' })
    assert.deepEqual(rooms.map(r => r.name), ['Team', 'demo', 'team'])
    assert.deepEqual(rooms[1]?.members, [{ peerId: bob, name: 'bob', online: true, provenAt: 1_700_000_000_000 }])

    assert.equal((await app.execute({ type: 'leave', room: 'DEMO' })).id, demo.id)
    await assert.rejects(app.execute({ type: 'leave', room: 'demo' }), { name: UnknownRoomError.name })
    assert.deepEqual(events.map(e => [e.room, e.status, e.member, e.name]), [
      ['demo', 'joined', undefined, undefined],
      ['Team', 'joined', undefined, undefined],
      ['team', 'joined', undefined, undefined],
      ['demo', 'online', bob, 'bob'],
      ['demo', 'left', undefined, undefined]
    ])

    for (let i = (await app.execute({ type: 'rooms' })).length; i < 64; i++) {
      await app.execute({ type: 'join', room: `room${i}` })
    }
    await assert.rejects(app.execute({ type: 'join', room: 'one-too-many' }), { name: RoomLimitError.name })
    await app.stop()
  })
})

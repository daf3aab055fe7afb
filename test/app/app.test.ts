/**
 * The application API over a scripted node. Peer arguments: a full peer id
 * is resolved from memory (the contact relation alone), anything else from
 * the peer list, with the same answer either way. Rooms: the commands'
 * shapes and the room rules are checked before the node is called; a post
 * says which members it was queued for, a room's history its name as joined.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { InvalidRoomKeyError, InvalidRoomNameError, MAX_ROOM_NAME_BYTES, MAX_TEXT_BYTES, RoomLimitError, UnknownRoomError, chatApp } from '../../src/app/index.ts'
import { EmptyMessageError, MessageTooLargeError } from '../../src/errors.ts'
import { StubNode, peerView } from '../cli/stub-node.ts'
import { newPeerId } from '../helpers/peers.ts'
import { tempDir } from '../helpers/tmp.ts'
import type { ChatEvents, Command, RoomEvent } from '../../src/app/index.ts'

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

void describe('chatApp room messages', () => {
  void it('checks the shape of post and roomHistory: InvalidCommandError, the node not called', async () => {
    const node = new StubNode({ peerId: await newPeerId() })
    const app = chatApp(node)

    for (const command of [
      { type: 'post' },
      { type: 'post', room: 'demo' },
      { type: 'post', text: 'hi' },
      { type: 'post', room: 7, text: 'hi' },
      { type: 'post', room: 'demo', text: ['hi'] },
      { type: 'roomHistory' },
      { type: 'roomHistory', room: null },
      { type: 'roomHistory', room: 'demo', limit: 0 },
      { type: 'roomHistory', room: 'demo', limit: 1.5 },
      { type: 'roomHistory', room: 'demo', limit: '3' }
    ]) {
      await assert.rejects(app.execute(command as unknown as Command), { name: 'InvalidCommandError' }, JSON.stringify(command))
    }
    await assert.rejects(app.execute({ type: 'roomHistory', room: 'demo', limit: -1 }), (err: Error) => {
      assert.equal(err.message, 'roomHistory: limit must be a positive integer')
      return true
    })
    assert.deepEqual(node.calls, [])
    await app.stop()
  })

  void it('post: the text rule of send, before the node is asked anything', async () => {
    const node = new StubNode({ peerId: await newPeerId() })
    const app = chatApp(node)
    await node.join('demo')
    node.calls.length = 0

    for (const [text, name] of [
      ['', EmptyMessageError.name],
      [' \t', EmptyMessageError.name],
      ['\u200b\u200d', EmptyMessageError.name],
      ['x'.repeat(MAX_TEXT_BYTES + 1), MessageTooLargeError.name]
    ] as const) {
      await assert.rejects(app.execute({ type: 'post', room: 'demo', text }), { name }, JSON.stringify(text.slice(0, 8)))
    }
    assert.deepEqual(node.calls, [])
    await app.stop()
  })

  void it('post: UnknownRoomError for a room not joined; by name in any case, #name or id; `to` the members not blocked', async () => {
    const [me, bob, carol, mallory] = await Promise.all([newPeerId(), newPeerId(), newPeerId(), newPeerId()])
    const node = new StubNode({ peerId: me, name: 'alice', peers: [peerView(bob, 'bob', true), peerView(carol, 'carol', false, 'stranger'), peerView(mallory, 'mallory', false, 'blocked')] })
    const app = chatApp(node)

    await assert.rejects(app.execute({ type: 'post', room: 'demo', text: 'hi' }), { name: UnknownRoomError.name })
    assert.equal(node.roomMessages.length, 0)

    const demo = await app.execute({ type: 'join', room: 'demo' })
    await app.execute({ type: 'join', room: 'Team', key: 'k' })
    node.roomMember('demo', bob, true)
    node.roomMember('demo', carol, false)
    node.roomMember('demo', mallory, true)

    const first = await app.execute({ type: 'post', room: 'demo', text: 'hi all' })
    assert.deepEqual({ ...first, id: '', ts: 0 }, {
      id: '', peer: `#${demo.id}`, direction: 'out', from: me, name: 'alice', text: 'hi all', ts: 0, status: 'pending', room: 'demo', clock: 1, to: [bob, carol]
    })
    assert.match(first.id, /^[0-9a-f]{32}$/)
    // the node takes the name without its #, in any case, or the id; the message carries the name as joined
    const second = await app.execute({ type: 'post', room: '#DEMO', text: 'again' })
    const third = await app.execute({ type: 'post', room: demo.id, text: 'and by id' })
    assert.deepEqual([second.room, second.clock, third.room, third.clock], ['demo', 2, 'demo', 3])
    assert.deepEqual(node.calls.filter(c => c.startsWith('post')), ['post demo hi', 'post demo hi all', 'post DEMO again', `post ${demo.id} and by id`])

    // a room with no member yet: stored all the same, sent to nobody
    const alone = await app.execute({ type: 'post', room: 'team', text: 'anyone?' })
    assert.deepEqual([alone.room, alone.clock, alone.to], ['Team', 1, []])
    assert.equal(node.roomMessages.length, 4)
    await app.stop()
  })

  void it('roomHistory: the room\'s name as joined, its messages in (clock, sender) order, the limit passed on; UnknownRoomError', async () => {
    const [me, bob, carol] = await Promise.all([newPeerId(), newPeerId(), newPeerId()])
    const node = new StubNode({ peerId: me, peers: [peerView(bob, 'bob', true), peerView(carol, 'carol', true)] })
    const app = chatApp(node)

    await assert.rejects(app.execute({ type: 'roomHistory', room: 'demo' }), { name: UnknownRoomError.name })
    const demo = await app.execute({ type: 'join', room: 'Demo' })
    assert.deepEqual(await app.execute({ type: 'roomHistory', room: '#demo' }), { room: 'Demo', id: demo.id, messages: [] })
    assert.deepEqual(await app.execute({ type: 'roomHistory', room: demo.id }), { room: 'Demo', id: demo.id, messages: [] })

    // carol's and bob's at one clock: the sender's peer id decides, as on every member
    const late = node.roomReceive('Demo', bob, 'bob', 'second', { clock: 2, ts: 1 })
    const early = node.roomReceive('Demo', carol, 'carol', 'first', { clock: 1, ts: 3 })
    const tie = node.roomReceive('Demo', carol, 'carol', 'tie', { clock: 2, ts: 2 })
    const mine = await app.execute({ type: 'post', room: 'demo', text: 'mine' })
    const [a, b] = [late, tie].sort((x, y) => x.from < y.from ? -1 : 1)
    const { to, ...stored } = mine
    assert.deepEqual(to, [])
    assert.deepEqual(await app.execute({ type: 'roomHistory', room: 'DEMO' }), { room: 'Demo', id: demo.id, messages: [early, a, b, stored] })
    assert.deepEqual((await app.execute({ type: 'roomHistory', room: 'demo', limit: 2 })).messages, [b, stored])
    assert.ok(node.calls.includes('roomHistory demo 2'))
    await app.stop()
  })

  void it('two rooms of one name (one with a key): the id tells them apart, the name finds the one joined first', async () => {
    const node = new StubNode({ peerId: await newPeerId() })
    const app = chatApp(node)
    const open = await app.execute({ type: 'join', room: 'team' })
    const keyed = await app.execute({ type: 'join', room: 'team', key: 'k' })
    assert.notEqual(open.id, keyed.id)
    assert.deepEqual(await app.execute({ type: 'roomHistory', room: 'team' }), { room: 'team', id: open.id, messages: [] })
    assert.deepEqual(await app.execute({ type: 'roomHistory', room: keyed.id }), { room: 'team', id: keyed.id, messages: [] })
    const posted = await app.execute({ type: 'post', room: keyed.id, text: 'keyed only' })
    assert.equal(posted.peer, `#${keyed.id}`)
    // with a message, the room is the message's, whatever room the name finds first
    const history = await app.execute({ type: 'roomHistory', room: keyed.id })
    assert.deepEqual([history.id, history.messages.map(m => m.text)], [keyed.id, ['keyed only']])
    assert.deepEqual((await app.execute({ type: 'roomHistory', room: 'team' })).messages, [])
    await app.stop()
  })

  void it('roomHistory of a room left between the node\'s two reads: UnknownRoomError, not a made-up id', async () => {
    const node = new StubNode({ peerId: await newPeerId() })
    const app = chatApp(node)
    await node.join('demo')
    node.gate = async (call) => { if (call === 'rooms') await node.leave('demo') }
    await assert.rejects(app.execute({ type: 'roomHistory', room: 'demo' }), { name: UnknownRoomError.name })
    await app.stop()
  })

  void it('message, sent and delivered events pass through with their room', async () => {
    const [me, bob] = await Promise.all([newPeerId(), newPeerId()])
    const node = new StubNode({ peerId: me, peers: [peerView(bob, 'bob', true)] })
    const app = chatApp(node)
    const seen: Array<[string, unknown]> = []
    for (const type of ['message', 'sent', 'delivered'] as const) {
      app.addEventListener(type, (evt: ChatEvents[typeof type]) => { seen.push([type, evt.detail]) })
    }
    await node.join('demo')
    const m = node.roomReceive('demo', bob, 'bob', 'hi', { ts: 5 })
    node.safeDispatchEvent('sent', { detail: { id: 'a'.repeat(32), to: bob, room: 'demo' } })
    node.safeDispatchEvent('delivered', { detail: { id: 'a'.repeat(32), to: bob, room: 'demo' } })
    assert.deepEqual(seen, [
      ['message', { id: m.id, from: bob, name: 'bob', text: 'hi', ts: 5, room: 'demo' }],
      ['sent', { id: 'a'.repeat(32), to: bob, room: 'demo' }],
      ['delivered', { id: 'a'.repeat(32), to: bob, room: 'demo' }]
    ])
    await app.stop()
  })
})

void describe('chatApp files', () => {
  void it('checks the shape of sendFile, acceptFile, declineFile: InvalidCommandError, the node not called', async () => {
    const node = new StubNode({ peerId: await newPeerId() })
    const app = chatApp(node)

    for (const command of [
      { type: 'sendFile', peer: 'bob' },
      { type: 'sendFile', peer: 'bob', path: 7 },
      { type: 'sendFile', peer: 'bob', path: '' },
      { type: 'sendFile', path: '/tmp/a' },
      { type: 'acceptFile' },
      { type: 'acceptFile', id: 42 },
      { type: 'declineFile', id: ['abcd'] }
    ]) {
      await assert.rejects(app.execute(command as unknown as Command), { name: 'InvalidCommandError' }, JSON.stringify(command))
    }
    assert.deepEqual(node.calls, [])
    await app.stop()
  })

  void it('sendFile resolves the peer as send does (stranger said so); accept and decline take a unique start of an incoming id; the events pass through', async (t) => {
    const [me, bob, eve] = await Promise.all([newPeerId(), newPeerId(), newPeerId()])
    const node = new StubNode({ peerId: me, peers: [peerView(bob, 'bob', true), peerView(eve, 'eve', true, 'stranger')] })
    const app = chatApp(node)
    const dir = await tempDir(t)
    await writeFile(join(dir, 'f.txt'), 'hello')
    const seen: string[] = []
    for (const type of ['offer', 'offered', 'progress', 'file'] as const) {
      app.addEventListener(type, evt => { seen.push(`${type} ${evt.detail.id}`) })
    }

    const out = await app.execute({ type: 'sendFile', peer: 'bob', path: join(dir, 'f.txt') })
    assert.equal(out.peer, bob)
    assert.equal(out.stranger, undefined)
    assert.equal((await app.execute({ type: 'sendFile', peer: 'eve', path: join(dir, 'f.txt') })).stranger, true)
    await assert.rejects(app.execute({ type: 'sendFile', peer: 'bob', path: join(dir, 'nope') }), { code: 'ENOENT' })

    // an outgoing id is never a candidate: a peer cannot make a prefix ambiguous with ours
    const a = node.offerFile(bob, 'a', 1, `${out.id.slice(0, 8)}${'1'.repeat(24)}`)
    const b = node.offerFile(eve, 'b', 1, `${out.id.slice(0, 8)}${'2'.repeat(24)}`)
    await assert.rejects(app.execute({ type: 'acceptFile', id: out.id.slice(0, 8) }), { name: 'AmbiguousTransferError' })
    await assert.rejects(app.execute({ type: 'acceptFile', id: out.id }), { name: 'UnknownTransferError' })
    await assert.rejects(app.execute({ type: 'acceptFile', id: 'abc' }), { name: 'UnknownTransferError' })
    await assert.rejects(app.execute({ type: 'acceptFile', id: 'zzzz' }), { name: 'UnknownTransferError' })
    assert.equal((await app.execute({ type: 'acceptFile', id: `${a.id.slice(0, 9).toUpperCase()}` })).state, 'accepted')
    assert.equal((await app.execute({ type: 'declineFile', id: b.id })).state, 'declined')
    assert.deepEqual((await app.execute({ type: 'files' })).map(f => f.state), ['offered', 'offered', 'accepted', 'declined'])

    node.offerReceived(out.id)
    node.fileProgress(a.id, 1, 1)
    node.fileDone(a.id, 'complete', { path: '/dl/a' })
    assert.deepEqual(seen, [`offer ${a.id}`, `offer ${b.id}`, `file ${b.id}`, `offered ${out.id}`, `progress ${a.id}`, `file ${a.id}`])
    await app.stop()
  })
})

/**
 * The handshakes in progress per source, on a fake clock: a cap per source
 * (others unaffected), released when the handshake completes, when its
 * connection closes or at the timeout, each once; a connection already
 * closed or already counted is not counted again; the table is bounded.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PendingHandshakes } from '../../src/net/handshakes.ts'
import { FakeClock } from '../helpers/clock.ts'
import type { MultiaddrConnection } from '@libp2p/interface'

/** What PendingHandshakes reads of a MultiaddrConnection: its status and its `close` event */
class FakeConn extends EventTarget {
  status: MultiaddrConnection['status'] = 'open'

  close (): void {
    this.status = 'closed'
    this.dispatchEvent(new Event('close'))
  }

  get conn (): MultiaddrConnection {
    return this as unknown as MultiaddrConnection
  }
}

function setup (init: { maxTracked?: number } = {}): { clock: FakeClock, pending: PendingHandshakes } {
  const clock = new FakeClock()
  return { clock, pending: new PendingHandshakes({ timeout: 3_000, ...init, clock }) }
}

void describe('PendingHandshakes', () => {
  void it('admits up to max handshakes per source at once; other sources are not affected', () => {
    const { pending } = setup()
    const admitted = [1, 2, 3, 4, 5].map(() => pending.admit('ip/192.0.2.1', new FakeConn().conn, 4))
    assert.deepEqual(admitted, [true, true, true, true, false])
    assert.equal(pending.count('ip/192.0.2.1'), 4, 'a refused one is not counted')
    assert.equal(pending.admit('ip/192.0.2.2', new FakeConn().conn, 4), true)
    assert.equal(pending.size, 5)
  })

  void it('frees a place when a handshake completes, once however often it is released', () => {
    const { clock, pending } = setup()
    const conns = [1, 2].map(() => new FakeConn())
    for (const c of conns) pending.admit('s', c.conn, 2)
    assert.equal(pending.admit('s', new FakeConn().conn, 2), false)

    const first = conns[0]
    assert.ok(first != null)
    pending.release(first.conn)
    pending.release(first.conn)
    first.close() // its listener is gone: no second release
    assert.equal(pending.count('s'), 1)
    assert.equal(clock.pending, 1, 'its timer is cleared')
    assert.equal(pending.admit('s', new FakeConn().conn, 2), true)
    assert.equal(pending.admit('s', new FakeConn().conn, 2), false)
  })

  void it('frees a place when the connection closes before its handshake completes', () => {
    const { clock, pending } = setup()
    const c = new FakeConn()
    pending.admit('s', c.conn, 1)
    c.close()
    assert.equal(pending.count('s'), 0)
    assert.equal(pending.size, 0)
    assert.equal(clock.pending, 0)
    assert.equal(pending.admit('s', new FakeConn().conn, 1), true)
  })

  void it('frees a place at the timeout, whatever became of the connection (the safety net)', () => {
    const { clock, pending } = setup()
    pending.admit('s', new FakeConn().conn, 1)
    clock.advance(2_999)
    assert.equal(pending.admit('s', new FakeConn().conn, 1), false)
    clock.advance(1)
    assert.equal(pending.count('s'), 0)
    assert.equal(pending.admit('s', new FakeConn().conn, 1), true)
  })

  void it('does not count a connection already closed, nor one already counted', () => {
    const { pending } = setup()
    const closed = new FakeConn()
    closed.status = 'aborted'
    assert.equal(pending.admit('s', closed.conn, 1), true)
    assert.equal(pending.size, 0)

    const c = new FakeConn()
    assert.equal(pending.admit('s', c.conn, 1), true)
    assert.equal(pending.admit('s', c.conn, 1), true, 'the same connection again')
    assert.equal(pending.count('s'), 1)
    pending.release(new FakeConn().conn) // one never counted: ignored
    assert.equal(pending.count('s'), 1)
  })

  void it('tracks at most maxTracked handshakes: past it the oldest is forgotten', () => {
    const { clock, pending } = setup({ maxTracked: 3 })
    for (const source of ['a', 'b', 'c', 'd', 'e']) pending.admit(source, new FakeConn().conn, 4)
    assert.equal(pending.size, 3)
    assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map(s => pending.count(s)), [0, 0, 1, 1, 1])
    assert.equal(clock.pending, 3, 'the forgotten ones leave no timer')
  })

  void it('stays bounded under a flood of sources', () => {
    const { pending } = setup({ maxTracked: 16 })
    for (let i = 0; i < 10_000; i++) pending.admit(`ip/${i}`, new FakeConn().conn, 4)
    assert.equal(pending.size, 16)
  })

  void it('refuses a timeout or table size that makes no sense', () => {
    assert.throws(() => new PendingHandshakes({ timeout: 0 }), TypeError)
    assert.throws(() => new PendingHandshakes({ maxTracked: 0 }), TypeError)
  })

  void it('runs on real timers by default', async () => {
    const pending = new PendingHandshakes({ timeout: 20 })
    pending.admit('s', new FakeConn().conn, 1)
    await new Promise(resolve => setTimeout(resolve, 60))
    assert.equal(pending.count('s'), 0)
  })
})

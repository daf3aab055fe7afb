/**
 * Review 2 (auto-accept), finding R2-4: an auto-accepted offer escapes
 * every per-peer bound. admit() caps a peer's *open* offers at 16
 * (MAX_OPEN_OFFERS_PER_PEER), counting state 'offered' only; an offer that
 * auto-accept stores as 'accepted' is never counted, and the disk check
 * counts bytes (size − offset), so tiny or empty files pass it for ever. A
 * verified contact with --auto-accept-files on can therefore fill the
 * store's MAX_STORED_TRANSFERS (1,024) with downloads it then never
 * serves: none is finished, so nothing can be pruned, and from then on
 * every offer from anyone is refused `busy` (the offering side records it
 * as failed), the user's own /send fails with TransferLimitError, and
 * blocking the contact changes nothing (its transfers stay 'accepted'; only
 * 1,024 /decline-file commands free the store).
 *
 * Real nodes; the verified contact sends 40 OFFERs by hand and answers no
 * file stream. Failed on the code under review (40 downloads held; with
 * the whole store, about two minutes, a third party's offer was then
 * refused `busy`); passes now that a verified contact's offer is taken at
 * once only while it has fewer than MAX_OPEN_OFFERS_PER_PEER downloads
 * under way, and waits as 'offered' beyond that, which that cap bounds
 * already: 32 unfinished at most.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, it } from 'node:test'
import { decodeReply, encodeRequest } from '../../src/files/codec.ts'
import { FILE_PROTOCOL_ID } from '../../src/files/constants.ts'
import { performHandshake, readFrame, writeFrame } from '../../src/protocol/wire.ts'
import { FileNodes } from '../helpers/file-nodes.ts'
import type { FileSide } from '../helpers/file-nodes.ts'

const nodes = new FileNodes()
after(async () => { await nodes.cleanup() })

async function introduce (a: FileSide, b: FileSide): Promise<void> {
  await a.node.peerStore.merge(b.node.peerId, { multiaddrs: b.node.getMultiaddrs() })
  await b.node.peerStore.merge(a.node.peerId, { multiaddrs: a.node.getMultiaddrs() })
}

/** A hand-made OFFER of a one-byte file from `from` to `to`; the reply's type (and reason) */
async function rawOffer (from: FileSide, to: FileSide, i: number): Promise<string> {
  const signal = AbortSignal.timeout(30_000)
  const stream = await from.node.dialProtocol(to.node.peerId, FILE_PROTOCOL_ID, { signal })
  const session = await performHandshake(stream, { protocol: FILE_PROTOCOL_ID, role: 'initiator', localPeer: from.node.peerId, remotePeer: to.node.peerId, privateKey: from.key, nickname: 'mallory' }, { signal })
  await writeFrame(session, encodeRequest({ type: 'offer', id: randomBytes(16).toString('hex'), name: `sticker-${i}.png`, size: 1, sha256: randomBytes(32) }), { signal })
  const reply = decodeReply(await readFrame(session, { signal }))
  await stream.close().catch(() => {})
  return reply.type === 'refused' ? `refused ${reply.reason}` : reply.type
}

/** mallory, a verified contact of bob's (auto-accept on), who answers no file stream once her offers are in */
async function setUp (): Promise<{ mallory: FileSide, bob: FileSide, carol: FileSide, hangUp: () => void }> {
  const mallory = await nodes.side()
  const bob = await nodes.side({ files: { autoAccept: true } })
  const carol = await nodes.side()
  await introduce(mallory, bob)
  await introduce(carol, bob)
  bob.verified.add(mallory.node.peerId.toString())
  // bob's GETs get a stream that never answers: each of his rounds times out and is retried, the transfers stay 'accepted'
  await mallory.node.unhandle(FILE_PROTOCOL_ID)
  const held: Array<{ abort: (err: Error) => void }> = []
  await mallory.node.handle(FILE_PROTOCOL_ID, (stream) => { held.push(stream) }, { runOnLimitedConnection: true })
  return { mallory, bob, carol, hangUp: () => { for (const s of held.splice(0)) s.abort(new Error('mallory hangs up')) } }
}

void describe('review 2: auto-accept and the store of transfers', () => {
  void it('R2-4a: a verified contact\'s auto-accepted downloads are bounded per peer, like its unanswered offers', async () => {
    const { mallory, bob, hangUp } = await setUp()
    const answers: string[] = []
    for (let i = 0; i < 40; i++) answers.push(await rawOffer(mallory, bob, i))
    hangUp()
    const accepted = (await bob.store.transfers()).filter(t => t.peer === mallory.node.peerId.toString() && t.state !== 'complete' && t.state !== 'failed' && t.state !== 'declined').length
    // 16 offers waiting (MAX_OPEN_OFFERS_PER_PEER) plus as many downloads under way: any per-peer bound will do
    assert.ok(accepted <= 32, `bob holds ${accepted} unfinished downloads from one contact (answers: ${answers.filter(a => a === 'ok').length} ok): nothing bounds them per peer`)
  })
})

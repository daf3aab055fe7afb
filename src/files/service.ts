/**
 * The file-transfer service (public face: index.ts). Two lanes per peer,
 * each retried with backoff and kicked when the peer connects: deliver our
 * offers; pull the files we accepted, from the offset verified and synced
 * (a long download does not hold up an offer). Apart from them: tell
 * senders the outcome (DONE) or that we declined. A download running
 * through a relay moves to a direct connection as soon as one appears. The
 * streams it answers: OFFER (store it; accept it at once from a verified
 * contact when auto-accept is on), GET (stream the file from the offset),
 * DECLINE and DONE (record the outcome). Pure parts: codec.ts, chunks.ts,
 * names.ts.
 */
import { createHash, randomBytes } from 'node:crypto'
import { constants as fsConstants, createReadStream } from 'node:fs'
import { lstat, open, realpath, rename, stat, statfs, unlink } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { performHandshake, readFrame, writeFrame } from '../protocol/wire.ts'
import { signalWithTimeout } from '../util/abort.ts'
import { Backoff } from '../util/backoff.ts'
import { Serial } from '../util/serial.ts'
import { BackgroundTasks } from '../util/tasks.ts'
import { readChunks, verifyChunks } from './chunks.ts'
import { decodeReply, decodeRequest, encodeReply, encodeRequest } from './codec.ts'
import { FILE_PROTOCOL_ID, FILE_WINDOW_BYTES, MORE_EVERY_BYTES } from './constants.ts'
import { SendWindow } from './window.ts'
import { MAX_FRAME_BYTES } from '../protocol/constants.ts'
import { BlockedPeerError } from '../errors.ts'
import { TransferLimitError } from '../store/errors.ts'
import { FileChangedError, InvalidFileFrameError, NoFreeFileNameError, NotEnoughSpaceError, TransferMovedError, TransferRefusedError } from './errors.ts'
import { createUniqueFile, ensurePartialDir, partialPath } from './names.ts'
import type { Files, FilesComponents, FilesEvents, FilesInit, TransferPath, TransferView } from './index.ts'
import type { OfferRequest, RefusedReply, ValidReply, ValidRequest } from './codec.ts'
import type { SecureSession } from '../protocol/wire.ts'
import type { StoredTransfer } from '../store/index.ts'
import type { AbortOptions, Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'

/** The largest file a receiver takes unless told otherwise: 4 GiB */
export const MAX_ACCEPTED_FILE_BYTES = 4 * 1024 ** 3
/** Bytes received between two syncs of the partial file and its stored offset */
const SYNC_BYTES = 4 * 1024 * 1024
/** A request answered, or a chunk received, within this */
const FILE_TIMEOUT_MS = 30_000
/** Offers held from one peer, and from all strangers together, not yet accepted or declined */
const MAX_OPEN_OFFERS_PER_PEER = 16
const MAX_OPEN_STRANGER_OFFERS = 64
/** Progress events per transfer, at most one every */
const PROGRESS_INTERVAL_MS = 250
const MAX_STREAMS = 8
/** What a download's stream may hold unread: the window of chunks the sender may send ahead, and their frames' overhead */
const PULL_READ_BUFFER_BYTES = FILE_WINDOW_BYTES + 4 * MAX_FRAME_BYTES
/** Finished transfers forgotten at once when the store is full */
const PRUNE_BATCH = 64
/** Free space left on the downloads disk beside a file accepted on its own */
const AUTO_ACCEPT_SPARE_BYTES = 256 * 1024 * 1024

/** What runs for a peer, one round at a time each: our offers to deliver, the files we fetch from it */
type Lane = 'offers' | 'pulls'
const LANES: readonly Lane[] = ['offers', 'pulls']

/** A download under way */
interface Pull {
  peer: string
  /** known once the GET's stream is open: the connection its own dial opens must not count as one that appeared */
  via?: TransferPath
  /** aborted by a decline, a block, or a direct connection appearing (TransferMovedError) */
  controller: AbortController
}

/** A move to a direct connection this soon after the last one of the same download counts as a failure (backoff): a peer that opens and drops direct connections cannot make us spin */
const MOVE_GRACE_MS = 5_000
/** A change of path is told at once (not held back by PROGRESS_INTERVAL_MS) at most this often per transfer */
const PATH_EVENT_INTERVAL_MS = 10_000

export class FilesService extends TypedEventEmitter<FilesEvents> implements Files, Startable {
  readonly [Symbol.toStringTag] = 'securechat:files'
  readonly [serviceCapabilities]: string[] = ['securechat:files']
  readonly [serviceDependencies]: string[] = ['securechat:contacts', 'securechat:relay-keeper']

  private readonly components: FilesComponents
  private readonly init: FilesInit
  private readonly log: Logger
  private readonly tasks: BackgroundTasks
  /** per lane and peer (laneKey): what runs, so that a kick does not start it twice */
  private readonly running = new Set<string>()
  /** lanes kicked while their round ran: one more round when it ends */
  private readonly again = new Set<string>()
  private readonly backoffs = new Map<string, Backoff>()
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>()
  /** per transfer under way, the last progress event (forgotten when the transfer ends) */
  private readonly progress = new Map<string, { at: number, bytes: number, via: TransferPath }>()
  /** the downloads running, by transfer id */
  private readonly pulls = new Map<string, Pull>()
  /** peers with transfers waiting: only their connections start a round (not every connection a scan of the store) */
  private readonly waiting = new Set<string>()
  /** offers from the network admitted one at a time: their limits are counted and the offer stored as one step */
  private readonly admissions = new Serial()
  /** the GET answered for each transfer: a newer GET of the same transfer ends it (the receiver runs one download at a time; the older stream is dead or hostile) */
  private readonly serving = new Map<string, AbortController>()
  /** when each download last moved to a direct connection */
  private readonly moves = new Map<string, number>()
  /** when each transfer's progress last told a change of path */
  private readonly pathTold = new Map<string, number>()

  constructor (components: FilesComponents, init: FilesInit) {
    super()
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('securechat:files')
    this.tasks = new BackgroundTasks(this.log)
  }

  async start (): Promise<void> {
    this.tasks.start()
    await this.components.registrar.handle(FILE_PROTOCOL_ID, this.onStream, {
      maxInboundStreams: MAX_STREAMS,
      maxOutboundStreams: MAX_STREAMS,
      // peers behind NAT reach each other through a relay first
      runOnLimitedConnection: true
    })
    this.components.events.addEventListener('connection:open', this.onConnection)
  }

  async afterStart (): Promise<void> {
    for (const peer of new Set((await this.components.store.transfers()).filter(t => hasWork(t)).map(t => t.peer))) {
      this.kick(peer)
    }
  }

  async stop (): Promise<void> {
    this.components.events.removeEventListener('connection:open', this.onConnection)
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
    await this.components.registrar.unhandle(FILE_PROTOCOL_ID)
    await this.tasks.stop()
  }

  async offer (peer: PeerId, path: string, options: AbortOptions = {}): Promise<TransferView> {
    // the file itself, not a link to it: what GET checks it against later is this path
    const absolute = await realpath(resolve(path))
    const info = await stat(absolute)
    if (!info.isFile()) {
      throw new TypeError(`${path} is not a file`)
    }
    const sha256 = await hashFile(absolute, options.signal)
    const now = Date.now()
    const transfer: StoredTransfer = {
      id: randomBytes(16).toString('hex'),
      peer: peer.toString(),
      direction: 'out',
      name: basename(absolute),
      size: info.size,
      sha256,
      state: 'offered',
      path: absolute,
      offset: 0,
      ino: info.ino,
      mtime: Math.floor(info.mtimeMs),
      ctime: Math.floor(info.ctimeMs),
      createdAt: now,
      updatedAt: now
    }
    await this.store(transfer, options)
    this.kick(transfer.peer, 'offers')
    return view(transfer)
  }

  /** Stores a new transfer; with the store full, the oldest finished ones make room (TransferLimitError if none is) */
  private async store (transfer: StoredTransfer, options: AbortOptions = {}): Promise<void> {
    try {
      await this.components.store.putTransfer(transfer, options)
    } catch (err) {
      if ((err as Error).name !== TransferLimitError.name) throw err
      const finished = (await this.components.store.transfers(options)).filter(t => t.state === 'complete' || t.state === 'failed' || t.state === 'declined')
      if (finished.length === 0) throw err
      for (const t of finished.slice(0, PRUNE_BATCH)) {
        await this.components.store.deleteTransfer(t.id, options)
      }
      await this.components.store.putTransfer(transfer, options)
    }
  }

  async accept (id: string, options: AbortOptions = {}): Promise<TransferView> {
    const transfer = await this.incoming(id, options)
    if (this.components.contacts.isBlocked(transfer.peer)) {
      throw new BlockedPeerError('that peer is blocked: /unblock it first')
    }
    if (transfer.state !== 'offered') return view(transfer)
    // room for it beside what the downloads under way still need
    const needed = transfer.size + await this.reserved(options)
    const free = await this.freeSpace(options)
    if (free < needed) {
      throw new NotEnoughSpaceError(`${formatMiB(needed)} needed (with the downloads under way), ${formatMiB(free)} free in ${this.init.downloads}`)
    }
    const accepted = { ...transfer, state: 'accepted' as const, updatedAt: Date.now() }
    await this.components.store.putTransfer(accepted, options)
    this.kick(transfer.peer, 'pulls')
    return view(accepted)
  }

  /** Bytes the downloads under way still need */
  private async reserved (options: AbortOptions = {}): Promise<number> {
    return (await this.components.store.transfers(options)).filter(t => t.direction === 'in' && t.state === 'accepted').reduce((sum, t) => sum + t.size - t.offset, 0)
  }

  /** Bytes free for us on the downloads folder's disk (the folder made if need be) */
  private async freeSpace (options: AbortOptions = {}): Promise<number> {
    await ensurePartialDir(this.init.downloads, options)
    const fs = await statfs(this.init.downloads)
    return fs.bavail * fs.bsize
  }

  async decline (id: string, options: AbortOptions = {}): Promise<TransferView> {
    const transfer = await this.incoming(id, options)
    if (transfer.state !== 'offered' && transfer.state !== 'accepted') return view(transfer)
    const declined = { ...transfer, state: 'declined' as const, updatedAt: Date.now() }
    await this.components.store.putTransfer(declined, options)
    this.pulls.get(id)?.controller.abort(new Error('declined'))
    await unlink(partialPath(this.init.downloads, id)).catch(() => {})
    this.safeDispatchEvent('file', { detail: { id, status: 'declined' } })
    // the sender is told in the background, once
    this.tasks.run('tell a sender we declined', async (signal) => this.request(peerIdFromString(declined.peer), { type: 'decline', id }, signal))
    return view(declined)
  }

  async transfers (options: AbortOptions = {}): Promise<TransferView[]> {
    return (await this.components.store.transfers(options)).map(view)
  }

  private async incoming (id: string, options: AbortOptions): Promise<StoredTransfer> {
    const transfer = await this.components.store.getTransfer(id, options)
    if (transfer?.direction !== 'in') {
      throw new TypeError(`no file offered with id ${id}: /files lists them`)
    }
    return transfer
  }

  private readonly onConnection = (evt: CustomEvent<Connection>): void => {
    const connection = evt.detail
    const peer = connection.remotePeer.toString()
    if (connection.direct) {
      // a download through a relay moves here: stopped with its bytes kept, then taken up again at once, direct
      for (const pull of this.pulls.values()) {
        if (pull.peer === peer && pull.via === 'relay') pull.controller.abort(new TransferMovedError())
      }
    }
    if (this.waiting.has(peer)) this.kick(peer)
  }

  /** Runs what waits for `peer` now (in `lane`, or both), unless it runs already */
  private kick (peer: string, lane?: Lane): void {
    this.waiting.add(peer)
    for (const l of lane == null ? LANES : [lane]) {
      this.kickLane(peer, l)
    }
  }

  private kickLane (peer: string, lane: Lane): void {
    const key = laneKey(peer, lane)
    clearTimeout(this.timers.get(key))
    this.timers.delete(key)
    if (this.running.has(key)) {
      // a round is under way (a download, an offer): what was kicked for runs in the next one, right after it
      this.again.add(key)
      return
    }
    this.running.add(key)
    this.tasks.run(`file ${lane} with a peer`, async (signal) => {
      let failed = false
      try {
        await this.work(peer, lane, signal)
        this.backoffs.delete(key)
      } catch (err) {
        failed = true
        this.log('file %s with %s failed - %e', lane, peer, err)
      } finally {
        this.running.delete(key)
      }
      if (this.again.delete(key) && !signal.aborted) {
        this.kickLane(peer, lane)
      } else if (failed) {
        this.retry(peer, lane)
      }
    })
  }

  private retry (peer: string, lane: Lane): void {
    const key = laneKey(peer, lane)
    let backoff = this.backoffs.get(key)
    if (backoff == null) {
      backoff = new Backoff({ base: this.init.retryBase ?? 1_000, cap: this.init.retryCap ?? 30_000 })
      this.backoffs.set(key, backoff)
    }
    const timer = setTimeout(() => { this.kickLane(peer, lane) }, backoff.next())
    timer.unref?.()
    this.timers.set(key, timer)
  }

  /** One round of what waits for `peer` in `lane` */
  private async work (peer: string, lane: Lane, signal: AbortSignal): Promise<void> {
    // nothing to or from a blocked peer: not its offers' delivery, not its files
    if (this.components.contacts.isBlocked(peer)) return
    const mine = (await this.components.store.transfers({ signal })).filter(t => t.peer === peer && hasWork(t))
    // a kick that raced this read runs another round, which reads it again
    if (mine.length > 0) this.waiting.add(peer)
    else this.waiting.delete(peer)
    for (const transfer of mine) {
      if (transfer.direction === 'out' && lane === 'offers') {
        await this.deliverOffer(transfer, signal)
      } else if (transfer.direction === 'in' && lane === 'pulls') {
        await this.pull(transfer, signal)
      }
    }
  }

  private async deliverOffer (transfer: StoredTransfer, signal: AbortSignal): Promise<void> {
    const sha256 = Buffer.from(transfer.sha256, 'hex')
    const reply = await this.request(peerIdFromString(transfer.peer), { type: 'offer', id: transfer.id, name: transfer.name, size: transfer.size, sha256 }, signal)
    const current = await this.components.store.getTransfer(transfer.id) ?? transfer
    if (reply.type === 'refused') {
      await this.finish(current, reply.reason === 'declined' ? 'declined' : 'failed', reply.reason)
      return
    }
    const delivered: StoredTransfer = { ...current, delivered: true, updatedAt: Date.now() }
    await this.components.store.putTransfer(delivered)
    this.safeDispatchEvent('offered', { detail: view(delivered) })
  }

  /** Fetches an accepted file from its verified offset; at the end, checks it, moves it into place, tells the sender */
  private async pull (transfer: StoredTransfer, outer: AbortSignal): Promise<void> {
    await ensurePartialDir(this.init.downloads, { signal: outer })
    const partial = partialPath(this.init.downloads, transfer.id)
    const controller = new AbortController()
    const signal = AbortSignal.any([outer, controller.signal])
    const pull: Pull = { peer: transfer.peer, controller }
    this.pulls.set(transfer.id, pull)
    // a decline (or a block) that came while this round read the store found no pull to abort: look again
    if ((await this.components.store.getTransfer(transfer.id))?.state !== 'accepted') {
      this.pulls.delete(transfer.id)
      await unlink(partial).catch(() => {})
      return
    }
    // not O_APPEND: every write goes at its offset
    const handle = await open(partial, fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW, 0o600)
    // never past what the file holds (a write cut short by a full disk): truncate() would fill a gap with zeros
    let offset = Math.min(transfer.offset, (await handle.stat()).size)
    let synced = offset
    /** the offset synced, stored, as long as the transfer is still being fetched (a decline or a block wins) */
    const save = async (): Promise<boolean> => {
      const current = await this.components.store.getTransfer(transfer.id)
      if (current?.state !== 'accepted') return false
      if (synced > current.offset) await this.components.store.putTransfer({ ...current, offset: synced, updatedAt: Date.now() })
      return true
    }
    /** the GET's stream, until it ends well: any other way out resets it, so that the sender stops at once */
    let stream: Stream | undefined
    try {
      // bytes past the synced offset may not have reached the disk: they are fetched again
      await handle.truncate(offset)
      const opened = await this.openStream(peerIdFromString(transfer.peer), signal)
      stream = opened.stream
      const { via } = opened
      pull.via = via
      const session = await this.handshake(stream, 'initiator', peerIdFromString(transfer.peer), signal, PULL_READ_BUFFER_BYTES)
      await writeFrame(session, encodeRequest({ type: 'get', id: transfer.id, offset }), { signal })
      let taken = offset
      for await (const data of verifyChunks(replies(session, signal), { offset, size: transfer.size })) {
        // one pwrite may write less than asked (ENOSPC, EDQUOT, EFBIG): only what landed counts, the rest is written again
        for (let done = 0; done < data.byteLength;) {
          const { bytesWritten } = await handle.write(data, done, data.byteLength - done, offset)
          done += bytesWritten
          offset += bytesWritten
        }
        if (offset - taken >= MORE_EVERY_BYTES && offset < transfer.size) {
          // written: the sender may send that much more (it holds at most FILE_WINDOW_BYTES past `taken`)
          await writeFrame(session, encodeRequest({ type: 'more', id: transfer.id, offset }), { signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) })
          taken = offset
        }
        this.onProgress(transfer, offset, via)
        if (offset - synced >= SYNC_BYTES) {
          await handle.sync()
          synced = offset
          if (!await save()) {
            controller.abort(new Error('no longer accepted'))
            await handle.close().catch(() => {})
            await unlink(partial).catch(() => {})
            return
          }
        }
      }
      await handle.sync()
      synced = offset
      stream.close().catch(() => {})
      stream = undefined
    } catch (err) {
      if (err instanceof TransferRefusedError && err.reason === 'busy') {
        // the sender still serves our previous GET, or has too much to do: later, from here
        await handle.sync().then(() => { synced = offset }, () => {})
        throw err
      }
      if (err instanceof TransferRefusedError) {
        await handle.close().catch(() => {})
        await unlink(partial).catch(() => {})
        const current = await this.components.store.getTransfer(transfer.id) ?? transfer
        if (current.state === 'accepted') await this.finish(current, err.reason === 'declined' ? 'declined' : 'failed', err.reason)
        return
      }
      // cut (a relay's limit, a dropped link) or moved: every byte written was verified, so all of it is kept
      await handle.sync().then(() => { synced = offset }, () => {})
      if (controller.signal.reason instanceof TransferMovedError) {
        const now = Date.now()
        const last = this.moves.get(transfer.id)
        this.moves.set(transfer.id, now)
        if (last != null && now - last < MOVE_GRACE_MS) throw err
        this.log('download %s from %s moves to a direct connection at %d bytes', transfer.id, transfer.peer, offset)
        this.kick(transfer.peer, 'pulls')
        return
      }
      throw err
    } finally {
      stream?.abort(new Error('download stopped'))
      this.pulls.delete(transfer.id)
      await handle.close().catch(() => {})
      await save().catch(() => false)
    }

    if ((await this.components.store.getTransfer(transfer.id))?.state !== 'accepted') {
      // declined (or the store says otherwise) while the last bytes came: not moved into place
      await unlink(partial).catch(() => {})
      return
    }
    const ok = await hashFile(partial, signal) === transfer.sha256
    let path: string | undefined
    let reason = ok ? undefined : 'the file received does not match its SHA-256'
    if (ok) {
      // a new, unique name in the downloads folder, then the partial file over it
      try {
        const target = await createUniqueFile(this.init.downloads, transfer.name, { signal })
        await target.handle.close()
        await rename(partial, target.path)
        path = target.path
      } catch (err) {
        // every name tried is taken: failed for good, not fetched and hashed again on every retry
        if (!(err instanceof NoFreeFileNameError)) throw err
        reason = `no free name for ${transfer.name} in the downloads folder`
      }
    }
    if (path == null) await unlink(partial).catch(() => {})
    await this.finish({ ...transfer, offset: transfer.size, ...(path == null ? {} : { path }) }, path != null ? 'complete' : 'failed', reason)
    await this.request(peerIdFromString(transfer.peer), { type: 'done', id: transfer.id, ok: path != null }, signal).catch((err: Error) => {
      this.log('could not tell %s the outcome of %s - %e', transfer.peer, transfer.id, err)
    })
  }

  private async finish (transfer: StoredTransfer, status: 'complete' | 'failed' | 'declined', reason?: string): Promise<void> {
    const state = status
    await this.components.store.putTransfer({ ...transfer, state, updatedAt: Date.now() })
    this.progress.delete(transfer.id)
    this.moves.delete(transfer.id)
    this.pathTold.delete(transfer.id)
    this.safeDispatchEvent('file', { detail: { id: transfer.id, status, ...(transfer.path != null && transfer.direction === 'in' ? { path: transfer.path } : {}), ...(reason == null ? {} : { reason }) } })
  }

  /** At most one event every PROGRESS_INTERVAL_MS, and always the last one and one on a change of path */
  private onProgress (transfer: StoredTransfer, bytes: number, via: TransferPath): void {
    const now = Date.now()
    const last = this.progress.get(transfer.id)
    // a change of path is told at once, unless it changed a moment ago (a receiver alternating GETs cannot flood the faces)
    const pathChange = last != null && last.via !== via && now - (this.pathTold.get(transfer.id) ?? 0) >= PATH_EVENT_INTERVAL_MS
    if (last != null && now - last.at < PROGRESS_INTERVAL_MS && bytes < transfer.size && !pathChange) return
    if (pathChange) this.pathTold.set(transfer.id, now)
    const rate = last == null || last.via !== via || bytes < last.bytes ? 0 : Math.round((bytes - last.bytes) / Math.max(0.001, (now - last.at) / 1000))
    this.progress.set(transfer.id, { at: now, bytes, via })
    this.safeDispatchEvent('progress', { detail: { id: transfer.id, bytes, size: transfer.size, rate, via } })
  }

  /** Opens a stream, sends one request and reads its one reply */
  private async request (peer: PeerId, request: ValidRequest, signal: AbortSignal): Promise<ValidReply> {
    const { stream } = await this.openStream(peer, signal)
    try {
      const session = await this.handshake(stream, 'initiator', peer, signal)
      const timeout = signalWithTimeout(FILE_TIMEOUT_MS, signal)
      await writeFrame(session, encodeRequest(request), { signal: timeout })
      const reply = decodeReply(await readFrame(session, { signal: timeout }))
      await stream.close({ signal: timeout }).catch(() => {})
      return reply
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }

  /** A stream to `peer`, on a direct connection if there is one (libp2p's openConnection prefers it), else through a relay */
  private async openStream (peer: PeerId, signal: AbortSignal): Promise<{ stream: Stream, via: TransferPath }> {
    await this.components.relayKeeper.routeThroughRelays(peer, { signal })
    const connection = await this.components.connectionManager.openConnection(peer, { signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) })
    const stream = await connection.newStream(FILE_PROTOCOL_ID, { runOnLimitedConnection: true, signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) })
    return { stream, via: pathOf(connection) }
  }

  private async handshake (stream: Stream, role: 'initiator' | 'responder', remote: PeerId, signal: AbortSignal, maxReadBufferBytes?: number): Promise<SecureSession> {
    return performHandshake(stream, {
      ...(maxReadBufferBytes == null ? {} : { maxReadBufferBytes }),
      protocol: FILE_PROTOCOL_ID,
      role,
      localPeer: this.components.peerId,
      remotePeer: remote,
      privateKey: this.components.privateKey,
      nickname: this.init.nickname ?? ''
    }, { signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) })
  }

  private readonly onStream = (stream: Stream, connection: Connection): void => {
    this.tasks.run('answer a file request', async (signal) => {
      try {
        const session = await this.handshake(stream, 'responder', connection.remotePeer, signal)
        const request = decodeRequest(await readFrame(session, { signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) }))
        await this.answer(session, connection.remotePeer.toString(), pathOf(connection), request, signal)
        await stream.close({ signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) }).catch(() => {})
      } catch (err) {
        stream.abort(err as Error)
        this.log('file request from %p failed - %e', connection.remotePeer, err)
      }
    })
  }

  /**
   * An OFFER from `peer`: its limits counted and the offer stored as one
   * step (admissions run one at a time). OK with the new transfer
   * (accepted at once from a verified contact with auto-accept on and the
   * disk space for it), OK alone for an offer we hold already (our OK was
   * lost), or refused.
   */
  private async admit (peer: string, request: OfferRequest, signal: AbortSignal): Promise<{ type: 'ok', transfer?: StoredTransfer } | RefusedReply> {
    const known = await this.components.store.getTransfer(request.id, { signal })
    if (known != null) {
      // another peer's id: no
      return known.peer === peer && known.direction === 'in' ? { type: 'ok' } : { type: 'refused', reason: 'unknown' }
    }
    if (request.size > (this.init.maxFileSize ?? MAX_ACCEPTED_FILE_BYTES)) {
      return { type: 'refused', reason: 'too-large' }
    }
    const incoming = (await this.components.store.transfers({ signal })).filter(t => t.direction === 'in')
    const open = incoming.filter(t => t.state === 'offered')
    const stranger = this.components.contacts.relation(peer) !== 'contact'
    // a peer's unanswered offers, and strangers' all together (identities cost nothing), are bounded
    if (open.filter(t => t.peer === peer).length >= MAX_OPEN_OFFERS_PER_PEER || (stranger && open.filter(t => t.request === true).length >= MAX_OPEN_STRANGER_OFFERS)) {
      return { type: 'refused', reason: 'busy' }
    }
    // a verified contact's offer is taken at once while it has fewer downloads under way than the offers a peer may hold
    // (past that it waits, under that cap), and while the disk has room for it beside them, and some to spare
    const underWay = incoming.filter(t => t.peer === peer && t.state === 'accepted').length
    let auto = this.init.autoAccept === true && !stranger && this.components.contacts.info(peer).verified && underWay < MAX_OPEN_OFFERS_PER_PEER
    if (auto) {
      const reserved = incoming.filter(t => t.state === 'accepted').reduce((sum, t) => sum + t.size - t.offset, 0)
      auto = await this.freeSpace({ signal }).catch(() => 0) >= reserved + request.size + AUTO_ACCEPT_SPARE_BYTES
    }
    const now = Date.now()
    const transfer: StoredTransfer = {
      id: request.id,
      peer,
      direction: 'in',
      name: request.name,
      size: request.size,
      sha256: Buffer.from(request.sha256).toString('hex'),
      state: auto ? 'accepted' : 'offered',
      offset: 0,
      createdAt: now,
      updatedAt: now,
      ...(stranger ? { request: true as const } : {})
    }
    try {
      await this.store(transfer, { signal })
    } catch (err) {
      if ((err as Error).name !== TransferLimitError.name) throw err
      return { type: 'refused', reason: 'busy' }
    }
    return { type: 'ok', transfer }
  }

  /**
   * Answers a GET: the offered file from `offset`, as far as the receiver's
   * MOREs allow. One GET per transfer at a time: a newer one ends the older
   * (a receiver runs one download at a time, so the older stream is dead,
   * or the receiver hostile).
   */
  private async serve (session: SecureSession, known: StoredTransfer, offset: number, via: TransferPath, outer: AbortSignal): Promise<void> {
    if (known.path == null) return
    this.serving.get(known.id)?.abort(new Error('a newer GET of this transfer'))
    const mine = new AbortController()
    this.serving.set(known.id, mine)
    const signal = AbortSignal.any([outer, mine.signal])
    const identity = known.ino !== undefined && known.mtime !== undefined && known.ctime !== undefined ? { ino: known.ino, mtime: known.mtime, ctime: known.ctime } : undefined
    // flow control: chunks go out as far as the receiver's MOREs allow, read beside the writes
    const window = new SendWindow(offset)
    const over = new AbortController()
    const acks = this.readMores(session, known.id, window, AbortSignal.any([signal, over.signal]))
    try {
      for await (const chunk of readChunks(known.path, { offset, size: known.size, signal, ...(identity == null ? {} : { identity }) })) {
        if (chunk.type === 'chunk') {
          const end = chunk.offset + chunk.data.byteLength
          await window.until(end, { signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) })
          await writeFrame(session, encodeReply(chunk), { signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) })
          window.sentTo(end)
          this.onProgress(known, end, via)
        } else {
          await writeFrame(session, encodeReply(chunk), { signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) })
        }
      }
    } catch (err) {
      // the file is not the one offered any more: said so, before or among the chunks (the receiver stops there)
      if (!(err instanceof FileChangedError)) throw err
      await writeFrame(session, encodeReply({ type: 'refused', reason: 'changed' }), { signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) })
    } finally {
      over.abort()
      await acks
      if (this.serving.get(known.id) === mine) this.serving.delete(known.id)
    }
  }

  /** A GET's MOREs into `window`, until the stream ends, one is not a MORE of this transfer, or `signal` fires; then the window fails with why */
  private async readMores (session: SecureSession, id: string, window: SendWindow, signal: AbortSignal): Promise<void> {
    try {
      while (true) {
        const more = decodeRequest(await readFrame(session, { signal }))
        if (more.type !== 'more' || more.id !== id) {
          throw new InvalidFileFrameError('only MOREs of its transfer follow a GET')
        }
        window.ack(more.offset)
      }
    } catch (err) {
      window.fail(err as Error)
    }
  }

  private async answer (session: SecureSession, peer: string, via: TransferPath, request: ValidRequest, signal: AbortSignal): Promise<void> {
    const reply = async (r: ValidReply): Promise<void> => { await writeFrame(session, encodeReply(r), { signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) }) }
    if (this.components.contacts.isBlocked(peer)) {
      await reply({ type: 'refused', reason: 'blocked' })
      return
    }
    const known = await this.components.store.getTransfer(request.id)
    switch (request.type) {
      case 'offer': {
        const admitted = await this.admissions.run(async () => this.admit(peer, request, signal))
        if (admitted.type === 'refused' || admitted.transfer == null) {
          await reply(admitted.type === 'refused' ? admitted : { type: 'ok' })
          return
        }
        await reply({ type: 'ok' })
        this.safeDispatchEvent('offer', { detail: view(admitted.transfer) })
        if (admitted.transfer.state === 'accepted') this.kick(peer, 'pulls')
        return
      }
      case 'get': {
        if (known?.direction !== 'out' || known.peer !== peer || known.path == null) {
          await reply({ type: 'refused', reason: 'unknown' })
          return
        }
        if (known.state !== 'offered' && known.state !== 'accepted') {
          // a finished transfer is not served again: the file may not be what was offered any more
          await reply({ type: 'refused', reason: known.state === 'declined' ? 'declined' : 'unknown' })
          return
        }
        // the file as offered: still a regular file (not a link put in its place), its size and time unchanged
        const now = await lstat(known.path).catch(() => undefined)
        if (request.offset > known.size || now?.isFile() !== true || now.size !== known.size || (known.mtime !== undefined && Math.floor(now.mtimeMs) !== known.mtime)) {
          await reply({ type: 'refused', reason: 'changed' })
          return
        }
        if (known.state === 'offered') {
          await this.components.store.putTransfer({ ...known, state: 'accepted', delivered: true, offset: request.offset, updatedAt: Date.now() })
        }
        await this.serve(session, known, request.offset, via, signal)
        return
      }
      case 'more':
        // only ever on a GET's stream, after it
        throw new InvalidFileFrameError('more opens no stream')
      case 'decline':
      case 'done': {
        if (known?.direction !== 'out' || known.peer !== peer) {
          await reply({ type: 'refused', reason: 'unknown' })
          return
        }
        if (known.state === 'offered' || known.state === 'accepted') {
          await this.finish(known, request.type === 'decline' ? 'declined' : request.ok ? 'complete' : 'failed', request.type === 'done' && !request.ok ? 'the receiver\'s SHA-256 check failed' : undefined)
        }
        await reply({ type: 'ok' })
      }
    }
  }
}

/** The replies of a GET as they come, each read within FILE_TIMEOUT_MS */
async function * replies (session: SecureSession, signal: AbortSignal): AsyncGenerator<ValidReply> {
  while (true) {
    const reply = decodeReply(await readFrame(session, { signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) }))
    yield reply
    if (reply.type !== 'chunk') return
  }
}

/** Whether `t` has something for us to do with its peer */
function hasWork (t: StoredTransfer): boolean {
  return (t.direction === 'out' && t.state === 'offered' && t.delivered !== true) || (t.direction === 'in' && t.state === 'accepted')
}

function laneKey (peer: string, lane: Lane): string {
  return `${lane} ${peer}`
}

function pathOf (connection: Connection): TransferPath {
  return connection.direct ? 'direct' : 'relay'
}

function formatMiB (bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`
}

async function hashFile (path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { signal })) {
    hash.update(chunk as Buffer)
  }
  return hash.digest('hex')
}

function view (t: StoredTransfer): TransferView {
  const v: TransferView = { id: t.id, peer: t.peer, direction: t.direction, name: t.name, size: t.size, sha256: t.sha256, state: t.state, bytes: t.offset }
  if (t.path != null) v.path = t.path
  if (t.request === true) v.request = true
  return v
}

/**
 * The file-transfer service (public face: index.ts). Three loops, each
 * retried with backoff and kicked when the peer connects: deliver our
 * offers; pull the files we accepted, from the offset verified and synced;
 * tell senders the outcome (DONE) or that we declined. The streams it
 * answers: OFFER (store it), GET (stream the file from the offset), DECLINE
 * and DONE (record the outcome). Pure parts: codec.ts, chunks.ts, names.ts.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, open, realpath, rename, stat, unlink } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { performHandshake, readFrame, writeFrame } from '../protocol/wire.ts'
import { signalWithTimeout } from '../util/abort.ts'
import { Backoff } from '../util/backoff.ts'
import { BackgroundTasks } from '../util/tasks.ts'
import { readChunks, verifyChunks } from './chunks.ts'
import { decodeReply, decodeRequest, encodeReply, encodeRequest } from './codec.ts'
import { FILE_PROTOCOL_ID } from './constants.ts'
import { BlockedPeerError } from '../errors.ts'
import { TransferLimitError } from '../store/errors.ts'
import { FileChangedError, TransferRefusedError } from './errors.ts'
import { createUniqueFile, ensurePartialDir, partialPath } from './names.ts'
import type { Files, FilesComponents, FilesEvents, FilesInit, TransferView } from './index.ts'
import type { ValidReply, ValidRequest } from './codec.ts'
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
/** Finished transfers forgotten at once when the store is full */
const PRUNE_BATCH = 64

export class FilesService extends TypedEventEmitter<FilesEvents> implements Files, Startable {
  readonly [Symbol.toStringTag] = 'securechat:files'
  readonly [serviceCapabilities]: string[] = ['securechat:files']
  readonly [serviceDependencies]: string[] = ['securechat:contacts', 'securechat:relay-keeper']

  private readonly components: FilesComponents
  private readonly init: FilesInit
  private readonly log: Logger
  private readonly tasks: BackgroundTasks
  /** per peer: what runs for it, so that a kick does not start it twice */
  private readonly running = new Set<string>()
  /** peers kicked while their round ran: one more round when it ends */
  private readonly again = new Set<string>()
  private readonly backoffs = new Map<string, Backoff>()
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly progress = new Map<string, { at: number, bytes: number }>()
  /** the downloads running, by transfer id: a decline aborts its own */
  private readonly pulls = new Map<string, AbortController>()

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
    for (const peer of new Set((await this.components.store.transfers()).filter(t => this.hasWork(t)).map(t => t.peer))) {
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
    this.kick(transfer.peer)
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
    const accepted = { ...transfer, state: 'accepted' as const, updatedAt: Date.now() }
    await this.components.store.putTransfer(accepted, options)
    this.kick(transfer.peer)
    return view(accepted)
  }

  async decline (id: string, options: AbortOptions = {}): Promise<TransferView> {
    const transfer = await this.incoming(id, options)
    if (transfer.state !== 'offered' && transfer.state !== 'accepted') return view(transfer)
    const declined = { ...transfer, state: 'declined' as const, updatedAt: Date.now() }
    await this.components.store.putTransfer(declined, options)
    this.pulls.get(id)?.abort(new Error('declined'))
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

  /** Whether `transfer` has something for us to do with its peer */
  private hasWork (t: StoredTransfer): boolean {
    return (t.direction === 'out' && t.state === 'offered' && t.delivered !== true) || (t.direction === 'in' && t.state === 'accepted')
  }

  private readonly onConnection = (evt: CustomEvent<Connection>): void => {
    this.kick(evt.detail.remotePeer.toString())
  }

  /** Runs everything waiting for `peer` now, unless it runs already */
  private kick (peer: string): void {
    clearTimeout(this.timers.get(peer))
    this.timers.delete(peer)
    if (this.running.has(peer)) {
      // a round is under way (a download, an offer): what was kicked for runs in the next one, right after it
      this.again.add(peer)
      return
    }
    this.running.add(peer)
    this.tasks.run('file transfers with a peer', async (signal) => {
      let failed = false
      try {
        await this.work(peer, signal)
        this.backoffs.delete(peer)
      } catch (err) {
        failed = true
        this.log('file transfers with %s failed - %e', peer, err)
      } finally {
        this.running.delete(peer)
      }
      if (this.again.delete(peer) && !signal.aborted) {
        this.kick(peer)
      } else if (failed) {
        this.retry(peer)
      }
    })
  }

  private retry (peer: string): void {
    let backoff = this.backoffs.get(peer)
    if (backoff == null) {
      backoff = new Backoff({ base: this.init.retryBase ?? 1_000, cap: this.init.retryCap ?? 30_000 })
      this.backoffs.set(peer, backoff)
    }
    const timer = setTimeout(() => { this.kick(peer) }, backoff.next())
    timer.unref?.()
    this.timers.set(peer, timer)
  }

  /** One round of what waits for `peer` */
  private async work (peer: string, signal: AbortSignal): Promise<void> {
    // nothing to or from a blocked peer: not its offers' delivery, not its files
    if (this.components.contacts.isBlocked(peer)) return
    const waiting = (await this.components.store.transfers({ signal })).filter(t => t.peer === peer && this.hasWork(t))
    for (const transfer of waiting) {
      if (transfer.direction === 'out') {
        await this.deliverOffer(transfer, signal)
      } else {
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
    this.pulls.set(transfer.id, controller)
    const handle = await open(partial, 'a+', 0o600)
    let offset = transfer.offset
    let synced = offset
    /** the offset synced, stored, as long as the transfer is still being fetched (a decline or a block wins) */
    const save = async (): Promise<boolean> => {
      const current = await this.components.store.getTransfer(transfer.id)
      if (current?.state !== 'accepted') return false
      if (synced > current.offset) await this.components.store.putTransfer({ ...current, offset: synced, updatedAt: Date.now() })
      return true
    }
    try {
      // bytes past the synced offset may not have reached the disk: they are fetched again
      await handle.truncate(offset)
      const stream = await this.openStream(peerIdFromString(transfer.peer), signal)
      const session = await this.handshake(stream, 'initiator', peerIdFromString(transfer.peer), signal)
      await writeFrame(session, encodeRequest({ type: 'get', id: transfer.id, offset }), { signal })
      for await (const data of verifyChunks(replies(session, signal), { offset, size: transfer.size })) {
        await handle.write(data, 0, data.byteLength, offset)
        offset += data.byteLength
        this.onProgress(transfer, offset)
        if (offset - synced >= SYNC_BYTES) {
          await handle.sync()
          synced = offset
          if (!await save()) {
            controller.abort(new Error('no longer accepted'))
            return
          }
        }
      }
      await handle.sync()
      synced = offset
      stream.close().catch(() => {})
    } catch (err) {
      if (err instanceof TransferRefusedError) {
        await handle.close().catch(() => {})
        await unlink(partial).catch(() => {})
        const current = await this.components.store.getTransfer(transfer.id) ?? transfer
        if (current.state === 'accepted') await this.finish(current, err.reason === 'declined' ? 'declined' : 'failed', err.reason)
        return
      }
      throw err
    } finally {
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
    if (ok) {
      // a new, unique name in the downloads folder, then the partial file over it
      const target = await createUniqueFile(this.init.downloads, transfer.name, { signal })
      await target.handle.close()
      await rename(partial, target.path)
      path = target.path
    } else {
      await unlink(partial).catch(() => {})
    }
    await this.finish({ ...transfer, offset: transfer.size, ...(path == null ? {} : { path }) }, ok ? 'complete' : 'failed', ok ? undefined : 'the file received does not match its SHA-256')
    await this.request(peerIdFromString(transfer.peer), { type: 'done', id: transfer.id, ok }, signal).catch((err: Error) => {
      this.log('could not tell %s the outcome of %s - %e', transfer.peer, transfer.id, err)
    })
  }

  private async finish (transfer: StoredTransfer, status: 'complete' | 'failed' | 'declined', reason?: string): Promise<void> {
    const state = status
    await this.components.store.putTransfer({ ...transfer, state, updatedAt: Date.now() })
    this.safeDispatchEvent('file', { detail: { id: transfer.id, status, ...(transfer.path != null && transfer.direction === 'in' ? { path: transfer.path } : {}), ...(reason == null ? {} : { reason }) } })
  }

  private onProgress (transfer: StoredTransfer, bytes: number): void {
    const now = Date.now()
    const last = this.progress.get(transfer.id)
    if (last != null && now - last.at < PROGRESS_INTERVAL_MS && bytes < transfer.size) return
    const rate = last == null ? 0 : Math.round((bytes - last.bytes) / Math.max(0.001, (now - last.at) / 1000))
    this.progress.set(transfer.id, { at: now, bytes })
    this.safeDispatchEvent('progress', { detail: { id: transfer.id, bytes, size: transfer.size, rate } })
  }

  /** Opens a stream, sends one request and reads its one reply */
  private async request (peer: PeerId, request: ValidRequest, signal: AbortSignal): Promise<ValidReply> {
    const stream = await this.openStream(peer, signal)
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

  private async openStream (peer: PeerId, signal: AbortSignal): Promise<Stream> {
    await this.components.relayKeeper.routeThroughRelays(peer, { signal })
    const connection = await this.components.connectionManager.openConnection(peer, { signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) })
    return connection.newStream(FILE_PROTOCOL_ID, { runOnLimitedConnection: true, signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) })
  }

  private async handshake (stream: Stream, role: 'initiator' | 'responder', remote: PeerId, signal: AbortSignal): Promise<SecureSession> {
    return performHandshake(stream, {
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
        await this.answer(session, connection.remotePeer.toString(), request, signal)
        await stream.close({ signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) }).catch(() => {})
      } catch (err) {
        stream.abort(err as Error)
        this.log('file request from %p failed - %e', connection.remotePeer, err)
      }
    })
  }

  private async answer (session: SecureSession, peer: string, request: ValidRequest, signal: AbortSignal): Promise<void> {
    const reply = async (r: ValidReply): Promise<void> => { await writeFrame(session, encodeReply(r), { signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) }) }
    if (this.components.contacts.isBlocked(peer)) {
      await reply({ type: 'refused', reason: 'blocked' })
      return
    }
    const known = await this.components.store.getTransfer(request.id)
    switch (request.type) {
      case 'offer': {
        if (known != null) {
          // the same offer again (our OK was lost): OK again; another peer's id: no
          await reply(known.peer === peer && known.direction === 'in' ? { type: 'ok' } : { type: 'refused', reason: 'unknown' })
          return
        }
        if (request.size > (this.init.maxFileSize ?? MAX_ACCEPTED_FILE_BYTES)) {
          await reply({ type: 'refused', reason: 'too-large' })
          return
        }
        const open = (await this.components.store.transfers({ signal })).filter(t => t.direction === 'in' && t.state === 'offered')
        const stranger = this.components.contacts.relation(peer) !== 'contact'
        // a peer's unanswered offers, and strangers' all together (identities cost nothing), are bounded
        if (open.filter(t => t.peer === peer).length >= MAX_OPEN_OFFERS_PER_PEER || (stranger && open.filter(t => t.request === true).length >= MAX_OPEN_STRANGER_OFFERS)) {
          await reply({ type: 'refused', reason: 'busy' })
          return
        }
        const now = Date.now()
        const transfer: StoredTransfer = {
          id: request.id,
          peer,
          direction: 'in',
          name: request.name,
          size: request.size,
          sha256: Buffer.from(request.sha256).toString('hex'),
          state: 'offered',
          offset: 0,
          createdAt: now,
          updatedAt: now,
          ...(stranger ? { request: true as const } : {})
        }
        try {
          await this.store(transfer)
        } catch (err) {
          if ((err as Error).name !== TransferLimitError.name) throw err
          await reply({ type: 'refused', reason: 'busy' })
          return
        }
        await reply({ type: 'ok' })
        this.safeDispatchEvent('offer', { detail: view(transfer) })
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
        const identity = known.ino !== undefined && known.mtime !== undefined && known.ctime !== undefined ? { ino: known.ino, mtime: known.mtime, ctime: known.ctime } : undefined
        try {
          for await (const chunk of readChunks(known.path, { offset: request.offset, size: known.size, signal, ...(identity == null ? {} : { identity }) })) {
            await writeFrame(session, encodeReply(chunk), { signal: signalWithTimeout(FILE_TIMEOUT_MS, signal) })
            if (chunk.type === 'chunk') this.onProgress(known, chunk.offset + chunk.data.byteLength)
          }
        } catch (err) {
          // the file is not the one offered any more: said so, before or among the chunks (the receiver stops there)
          if (!(err instanceof FileChangedError)) throw err
          await reply({ type: 'refused', reason: 'changed' })
        }
        return
      }
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

/**
 * /securechat/room-membership/1.0.0: two peers find out which rooms they
 * share, each proving its membership without revealing any room to a peer
 * that is not a member of it (docs/PROTOCOL.md "Rooms"). Runs on a Noise
 * connection, so both peer ids are authenticated and nobody on the path
 * reads it.
 *
 *   opener    → responder  MembershipHello { nonce: Ni }
 *   responder → opener     MembershipHello { nonce: Nr, tags: responder tags of its rooms, padded with random ones to MAX_JOINED_ROOMS, shuffled }
 *   opener    → responder  MembershipHello { tags: opener tags of the rooms whose responder tag it found, padding }
 *
 * A tag is membershipTag(proof key, both peer ids, Ni, Nr, prover): it only
 * matches for a peer that knows the room's proof key, in this meeting, in
 * this direction. The responder's padding hides how many rooms it is in;
 * the opener sends only the rooms both share, which the responder then
 * learns anyway, padded so that its frame's length does not tell how many
 * (the relay of a relayed connection sees lengths). Either side may leave the stream at any point: a peer that
 * does not finish proves nothing.
 *
 * The functions here are the exchange on one stream; the rooms service
 * decides when to run it and keeps what it proved.
 */
import { randomBytes } from 'node:crypto'
import { lpStream } from '@libp2p/utils'
import { lengthDecoder } from '../protocol/framing.ts'
import { raceSignal } from '../util/abort.ts'
import { InvalidMembershipError } from './errors.ts'
import { MembershipHello } from './pb/rooms.ts'
import { MEMBERSHIP_NONCE_BYTES, MEMBERSHIP_TAG_BYTES, membershipTag } from './room-keys.ts'
import type { MembershipContext, RoomKeys } from './room-keys.ts'
import type { PeerId, Stream } from '@libp2p/interface'

export const MEMBERSHIP_PROTOCOL_ID = '/securechat/room-membership/1.0.0'
/** Rooms one node may be in; the responder's hello always carries this many tags */
export const MAX_JOINED_ROOMS = 64
/** The opener's last frame, padded to this length whatever it proves: MAX_JOINED_ROOMS tags and the padding field's own overhead */
export const PROOF_FRAME_BYTES = MAX_JOINED_ROOMS * (2 + MEMBERSHIP_TAG_BYTES) + 3
/** One hello at most: a nonce and MAX_JOINED_ROOMS tags, with their protobuf overhead */
export const MAX_MEMBERSHIP_FRAME_BYTES = Math.max(2 + MEMBERSHIP_NONCE_BYTES + MAX_JOINED_ROOMS * (2 + MEMBERSHIP_TAG_BYTES), PROOF_FRAME_BYTES)
/** The whole exchange, from the first write to the last read */
export const MEMBERSHIP_TIMEOUT_MS = 5_000

export interface MembershipOptions {
  signal: AbortSignal
}

/**
 * The rooms (of ours) the remote proved to be in. What the remote learned
 * is not known for sure: a responder's tags show each shared room to an
 * opener that is a member of it, whether or not the opener proves back.
 */
export interface MembershipResult {
  /** ids of the rooms the remote peer proved it is a member of */
  proven: string[]
}

interface Sides {
  local: PeerId
  remote: PeerId
}

function checkHello (hello: MembershipHello, nonce: 'required' | 'absent', maxTags: number): void {
  if (nonce === 'required' && hello.padding.byteLength !== 0) {
    throw new InvalidMembershipError('unexpected padding')
  }
  if (nonce === 'required' ? hello.nonce.byteLength !== MEMBERSHIP_NONCE_BYTES : hello.nonce.byteLength !== 0) {
    throw new InvalidMembershipError(nonce === 'required' ? `nonce must be ${MEMBERSHIP_NONCE_BYTES} bytes` : 'unexpected nonce')
  }
  if (hello.tags.length > maxTags) {
    throw new InvalidMembershipError(`more than ${maxTags} tags`)
  }
  if (hello.tags.some(t => t.byteLength !== MEMBERSHIP_TAG_BYTES)) {
    throw new InvalidMembershipError(`a tag must be ${MEMBERSHIP_TAG_BYTES} bytes`)
  }
}

function decodeHello (bytes: Parameters<typeof MembershipHello.decode>[0], nonce: 'required' | 'absent', maxTags: number): MembershipHello {
  let hello: MembershipHello
  try {
    hello = MembershipHello.decode(bytes, { limits: { tags: maxTags } })
  } catch (err) {
    throw new InvalidMembershipError('membership hello malformed', { cause: err })
  }
  checkHello(hello, nonce, maxTags)
  return hello
}

/** The rooms whose tag for `prover` in `context` is among `tags` */
function matching (rooms: readonly RoomKeys[], context: MembershipContext, prover: 'initiator' | 'responder', tags: readonly Uint8Array[]): RoomKeys[] {
  const received = new Set(tags.map(t => Buffer.from(t).toString('hex')))
  return rooms.filter(room => received.has(Buffer.from(membershipTag(room.proofKey, context, prover)).toString('hex')))
}

/** Fisher-Yates with crypto randomness: the order of tags says nothing of the order rooms were joined in */
function shuffle<T> (items: T[]): T[] {
  const random = randomBytes(4 * items.length)
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.readUInt32BE(4 * i) % (i + 1)
    const tmp = items[i] as T
    items[i] = items[j] as T
    items[j] = tmp
  }
  return items
}

/**
 * The stream's reads, bounded: a peer that sends more than a frame or two
 * beyond what the exchange reads (the default would buffer 4 MiB, also
 * after the exchange ended, until the stream closes) has the stream
 * aborted by the buffer bound
 */
function framed (stream: Stream): ReturnType<typeof lpStream> {
  return lpStream(stream, { maxDataLength: MAX_MEMBERSHIP_FRAME_BYTES, maxBufferSize: 2 * MAX_MEMBERSHIP_FRAME_BYTES, lengthDecoder: lengthDecoder(MAX_MEMBERSHIP_FRAME_BYTES) })
}

/** The opener's last frame: `tags`, then random padding up to PROOF_FRAME_BYTES */
export function proofFrame (tags: Uint8Array<ArrayBuffer>[]): Uint8Array {
  const bare = MembershipHello.encode({ nonce: new Uint8Array(0), tags, padding: new Uint8Array(0) }).byteLength
  // the padding field costs a tag byte and a length varint of one or two bytes
  let length = PROOF_FRAME_BYTES - bare - 3
  if (length < 128) length += 1
  return MembershipHello.encode({ nonce: new Uint8Array(0), tags, padding: new Uint8Array(randomBytes(Math.max(0, length))) })
}

/** The opener's side, on a stream it opened to `sides.remote` */
export async function proveAsInitiator (stream: Stream, sides: Sides, rooms: readonly RoomKeys[], options: MembershipOptions): Promise<MembershipResult> {
  const { signal } = options
  const lp = framed(stream)
  const initiatorNonce = new Uint8Array(randomBytes(MEMBERSHIP_NONCE_BYTES))
  await lp.write(MembershipHello.encode({ nonce: initiatorNonce, tags: [], padding: new Uint8Array(0) }), { signal })
  const reply = decodeHello(await raceSignal(lp.read({ signal }), signal, 'no membership hello in time'), 'required', MAX_JOINED_ROOMS)
  const context: MembershipContext = {
    initiator: sides.local.toMultihash().bytes,
    responder: sides.remote.toMultihash().bytes,
    initiatorNonce,
    responderNonce: reply.nonce
  }
  const shared = matching(rooms, context, 'responder', reply.tags)
  await lp.write(proofFrame(shared.map(room => membershipTag(room.proofKey, context, 'initiator'))), { signal })
  await stream.close({ signal })
  return { proven: shared.map(room => room.id) }
}

/** The responder's side, on a stream `sides.remote` opened */
export async function proveAsResponder (stream: Stream, sides: Sides, rooms: readonly RoomKeys[], options: MembershipOptions): Promise<MembershipResult> {
  const { signal } = options
  const lp = framed(stream)
  const hello = decodeHello(await raceSignal(lp.read({ signal }), signal, 'no membership hello in time'), 'required', 0)
  const responderNonce = new Uint8Array(randomBytes(MEMBERSHIP_NONCE_BYTES))
  const context: MembershipContext = {
    initiator: sides.remote.toMultihash().bytes,
    responder: sides.local.toMultihash().bytes,
    initiatorNonce: hello.nonce,
    responderNonce
  }
  const joined = rooms.slice(0, MAX_JOINED_ROOMS)
  const tags = joined.map(room => membershipTag(room.proofKey, context, 'responder'))
  while (tags.length < MAX_JOINED_ROOMS) {
    tags.push(new Uint8Array(randomBytes(MEMBERSHIP_TAG_BYTES)))
  }
  await lp.write(MembershipHello.encode({ nonce: responderNonce, tags: shuffle(tags), padding: new Uint8Array(0) }), { signal })
  const proof = decodeHello(await raceSignal(lp.read({ signal }), signal, 'no membership proof in time'), 'absent', joined.length)
  const proven = matching(joined, context, 'initiator', proof.tags)
  if (proven.length !== proof.tags.length) {
    // every tag an honest opener sends is one of ours: anything else is a guess or a replay
    throw new InvalidMembershipError('a membership tag did not verify')
  }
  await stream.close({ signal })
  return { proven: proven.map(room => room.id) }
}

/**
 * `id` fields of the file commands: what a user typed, a full transfer id
 * or a unique start of one (at least MIN_TRANSFER_PREFIX characters, in
 * any case), resolved against the node's transfers the same way for every
 * face. Only an incoming transfer can be accepted or declined, so only
 * those are candidates: a peer that picks an id starting like one of ours
 * cannot make the user's prefix ambiguous.
 */
import { AmbiguousTransferError, UnknownTransferError } from './errors.ts'
import { shortId } from './resolve.ts'
import type { TransferView } from '../types.ts'

/** The shortest id prefix taken (as the shortest peer id fragment) */
export const MIN_TRANSFER_PREFIX = 4

/** Candidates an AmbiguousTransferError lists before `…` */
const LISTED = 5

/** The incoming transfer `id` stands for: UnknownTransferError, AmbiguousTransferError */
export function resolveTransfer (id: string, transfers: readonly TransferView[]): TransferView {
  const wanted = id.toLowerCase()
  const incoming = transfers.filter(t => t.direction === 'in')
  const exact = incoming.find(t => t.id === wanted)

  if (exact != null) {
    return exact
  }

  if (wanted.length < MIN_TRANSFER_PREFIX || !/^[0-9a-f]+$/.test(wanted)) {
    throw new UnknownTransferError(`no incoming file transfer '${id.slice(0, 64)}' (an id, or a start of one of at least ${MIN_TRANSFER_PREFIX} characters)`)
  }

  const hits = incoming.filter(t => t.id.startsWith(wanted))
  const [first, second] = hits

  if (first == null) {
    throw new UnknownTransferError(`no incoming file transfer starts with '${wanted}'`)
  }

  if (second != null) {
    // ids and peer ids only: a file name is the peer's choice, and a face prints this message
    const listed = hits.slice(0, LISTED).map(t => `${t.id.slice(0, 12)} from ${shortId(t.peer)}`)
    throw new AmbiguousTransferError(`'${wanted}' starts ${hits.length} file transfers: ${listed.join(', ')}${hits.length > LISTED ? ', …' : ''}; type more of the id`)
  }

  return first
}

/**
 * Errors of rooms. Callers branch on `err.name`; names are API and never
 * change, messages may.
 */
import { ProtocolViolationError } from '../protocol/errors.ts'

/** A room name that is empty, too long, or holds white space, control or invisible characters (roomNameProblem) */
export class InvalidRoomNameError extends Error {
  static override name = 'InvalidRoomNameError'
  override name = 'InvalidRoomNameError'

  constructor (message = 'invalid room name', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A room key that is empty or too long (roomKeyProblem) */
export class InvalidRoomKeyError extends Error {
  static override name = 'InvalidRoomKeyError'
  override name = 'InvalidRoomKeyError'

  constructor (message = 'invalid room key', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A membership hello that is malformed, out of bounds, or carries a tag that does not verify */
export class InvalidMembershipError extends ProtocolViolationError {
  static override name = 'InvalidMembershipError'
  override name = 'InvalidMembershipError'

  constructor (message = 'invalid membership proof', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A room this node has not joined */
export class UnknownRoomError extends Error {
  static override name = 'UnknownRoomError'
  override name = 'UnknownRoomError'

  constructor (message = 'not in that room', options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * A peer sent a message to a room that it has not proved it is a member of
 * (or that this node is not in): nothing of it is stored or acked
 */
export class NotRoomMemberError extends Error {
  static override name = 'NotRoomMemberError'
  override name = 'NotRoomMemberError'

  constructor (message = 'not a member of that room', options?: ErrorOptions) {
    super(message, options)
  }
}

/** A room member that is not a contact wrote faster than src/delivery/room-quota.ts allows: not stored, not acked (it sends again later) */
export class RoomFloodError extends Error {
  static override name = 'RoomFloodError'
  override name = 'RoomFloodError'

  constructor (message = 'room messages too fast', options?: ErrorOptions) {
    super(message, options)
  }
}

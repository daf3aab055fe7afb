/**
 * How fast room members that are not contacts may write to a room: a
 * token bucket per (room, member), a burst of 200 messages then one a
 * second, and one per room for all of them together (proofs cost nothing
 * in a room without a key, so a hostile member's sybils get a member's
 * bucket each), a burst of 1,000 then 10 a second. Past either a message is
 * not stored and not acked (RoomFloodError): an honest member's outbox
 * keeps it and sends it again later; strangers together fill our disk at
 * the room's rate at most (16 KiB × 10 a second at worst), until they are
 * blocked or the room is left. Contacts are not limited, as for direct
 * messages.
 */
import { TokenBucket } from '../util/token-bucket.ts'
import type { BucketSize } from '../util/token-bucket.ts'

export const ROOM_MEMBER_BUCKET: BucketSize = { burst: 200, rate: 1 }
export const ROOM_STRANGERS_BUCKET: BucketSize = { burst: 1_000, rate: 10 }
/** Buckets kept: every member of every room (256 × 64); past it, full ones go first, then the oldest */
export const MAX_ROOM_BUCKETS = 256 * 64

export class RoomQuota {
  private readonly size: BucketSize
  private readonly roomSize: BucketSize
  private readonly max: number
  /** by `<room>/<member>` */
  private readonly buckets = new Map<string, TokenBucket>()
  /** by room: at most one per joined room (64) */
  private readonly rooms = new Map<string, TokenBucket>()

  constructor (size: BucketSize = ROOM_MEMBER_BUCKET, roomSize: BucketSize = ROOM_STRANGERS_BUCKET, max = MAX_ROOM_BUCKETS) {
    this.size = size
    this.roomSize = roomSize
    this.max = max
  }

  /** Takes one message's tokens for `member` in room `room` at `now`; false when the member's or the room's are out */
  take (room: string, member: string, now: number): boolean {
    const key = `${room}/${member}`
    let bucket = this.buckets.get(key)
    if (bucket == null) {
      this.prune(now)
      bucket = new TokenBucket(this.size, now)
      this.buckets.set(key, bucket)
    }
    let shared = this.rooms.get(room)
    if (shared == null) {
      shared = new TokenBucket(this.roomSize, now)
      this.rooms.set(room, shared)
    }
    if (!bucket.has(now) || !shared.has(now)) {
      return false
    }
    bucket.take()
    shared.take()
    return true
  }

  private prune (now: number): void {
    if (this.buckets.size < this.max) return
    for (const [key, bucket] of this.buckets) {
      if (bucket.full(now)) this.buckets.delete(key)
    }
    // all busy: the oldest goes (it starts full again: a little more than the bound, never a table without one)
    while (this.buckets.size >= this.max) {
      const oldest = this.buckets.keys().next().value
      if (oldest === undefined) break
      this.buckets.delete(oldest)
    }
  }
}

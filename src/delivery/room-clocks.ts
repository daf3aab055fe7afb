/**
 * The Lamport clock of each joined room: one more than the highest clock
 * seen in the room for each message we post, so that every member can
 * show a room in one order, (clock, sender), which never puts a message
 * before one its writer had seen. A room's clock starts from the highest
 * clocks in its stored history (the recent end, read once, when first
 * needed), so it does not go back across restarts: our own messages are
 * stored before they are sent, and others' before they are acked.
 */
/**
 * How far above the highest clock known a member's clock is taken on. Any
 * clock is stored and shown (in its place: late, if it is high); but one
 * far ahead would, taken on, make our next post carry it, and a hostile
 * member that sent 2^53 - 1 would end the room (no later message could come
 * after it). A member that was away from a busy room jumps ahead by as many
 * messages as it missed, never by 2^32. Refusing such a message instead
 * would split the room: a member that took a high clock on (within its own
 * bound) would be refused by one that had not seen it.
 */
export const MAX_CLOCK_JUMP = 2 ** 32

export interface RoomClocksInit {
  /** the clocks of the recent end of room `id`'s stored history */
  load: (id: string) => Promise<number[]>
}

export class RoomClocks {
  private readonly init: RoomClocksInit
  /** the highest clock known per room: seen, posted or loaded */
  private readonly highest = new Map<string, number>()
  private readonly loading = new Map<string, Promise<void>>()

  constructor (init: RoomClocksInit) {
    this.init = init
  }

  /**
   * The clock of a message we post to room `id` now. At 2^53 - 1 it stays
   * there (a room driven to the top, 2^32 at a time, does not end: its
   * messages at the top are ordered by sender and id, like any tie)
   */
  async next (id: string): Promise<number> {
    await this.loaded(id)
    const clock = Math.min((this.highest.get(id) ?? -1) + 1, Number.MAX_SAFE_INTEGER)
    this.highest.set(id, clock)
    return clock
  }

  /** A member's message with `clock` came in room `id`: taken on unless it is more than MAX_CLOCK_JUMP ahead */
  async heard (id: string, clock: number): Promise<void> {
    await this.loaded(id)
    this.take(id, clock)
  }

  private take (id: string, clock: number): void {
    if (clock <= (this.highest.get(id) ?? -1) + MAX_CLOCK_JUMP) {
      this.seen(id, clock)
    }
  }

  /** A clock stored or posted in room `id` */
  private seen (id: string, clock: number): void {
    this.highest.set(id, Math.max(this.highest.get(id) ?? -1, clock))
  }

  private async loaded (id: string): Promise<void> {
    let loading = this.loading.get(id)
    if (loading == null) {
      // taken on in ascending order as if heard: a stored hostile clock is not taken on after a restart either
      loading = this.init.load(id).then(stored => {
        for (const clock of [...stored].sort((a, b) => a - b)) {
          this.take(id, clock)
        }
      })
      // a failed load is tried again next time
      loading.catch(() => { this.loading.delete(id) })
      this.loading.set(id, loading)
    }
    await loading
  }
}

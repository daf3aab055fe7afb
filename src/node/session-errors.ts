/**
 * Rejected sessions, as the lines the user sees. A peer can make as many
 * as it likes, and a screen full of them hides everything else, so: once
 * per peer per window, the rest of that peer's window as one summary
 * (Throttle); and at most SESSION_ERROR_LINES lines per window in all,
 * since a fresh peer id costs nothing, the rest as one summary line with
 * no peer (Cap).
 */
import { SESSION_ERROR_LINES, SESSION_ERROR_PEERS, SESSION_ERROR_WINDOW_MS } from './constants.ts'
import { Cap, Throttle } from '../util/throttle.ts'
import type { ChatNodeEvents } from '../types.ts'
import type { Clock } from '../util/clock.ts'
import type { Held } from '../util/throttle.ts'

type ErrorLine = ChatNodeEvents['error']['detail']

export interface SessionErrorsInit {
  /** ms a window lasts @default 10000 (SESSION_ERROR_WINDOW_MS) */
  window?: number
  /** peers whose window is open at once @default 256 (SESSION_ERROR_PEERS) */
  maxPeers?: number
  /** lines per window in all @default 5 (SESSION_ERROR_LINES) */
  maxLines?: number
  clock?: Clock
}

export class SessionErrors {
  private readonly perPeer: Throttle<Error>
  private readonly inAll: Cap<ErrorLine>
  private readonly seconds: number

  /** `show` gets each line to show, as an `error` event's detail */
  constructor (show: (line: ErrorLine) => void, init: SessionErrorsInit = {}) {
    const window = init.window ?? SESSION_ERROR_WINDOW_MS
    const maxPeers = init.maxPeers ?? SESSION_ERROR_PEERS
    this.seconds = window / 1000
    this.inAll = new Cap<ErrorLine>((_peer, line) => { show(line) }, (held) => { show(this.summary(held)) }, { window, limit: init.maxLines ?? SESSION_ERROR_LINES, maxKeys: maxPeers, clock: init.clock })
    // a peer's first line stands for one session, its summary for `more`
    this.perPeer = new Throttle<Error>((peer, err, more) => { this.inAll.push(peer, this.line(peer, err, more), Math.max(more, 1)) }, { window, maxKeys: maxPeers, clock: init.clock })
  }

  /** a session from `peer` was rejected with `err` */
  push (peer: string, err: Error): void {
    this.perPeer.push(peer, err)
  }

  /** shows nothing more */
  stop (): void {
    this.perPeer.stop()
    this.inAll.stop()
  }

  /** `err` is the peer's window's first; `more` the sessions rejected after it in the window */
  private line (peer: string, err: Error, more: number): ErrorLine {
    const message = more === 0
      ? `session from ${peer} rejected: ${err.message}`
      : `… and ${more} more ${plural(more, 'session')} from ${peer} rejected in the last ${this.seconds} s`
    return { code: err.name, message, peer }
  }

  /** the lines held back in a window, as one line with no peer and the code of the last */
  private summary (held: Held<ErrorLine>): ErrorLine {
    return {
      code: held.last.code,
      message: `… and ${held.items} ${plural(held.items, 'session')} from ${held.keys} ${plural(held.keys, 'peer')} rejected in the last ${this.seconds} s`
    }
  }
}

function plural (n: number, word: string): string {
  return n === 1 ? word : `${word}s`
}

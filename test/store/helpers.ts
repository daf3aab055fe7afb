/**
 * Fixtures for the store tests: a temp data dir removed after the test (also
 * when it fails), with every store opened in it closed first.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { tempDir } from '../helpers/tmp.ts'
import type { Store, StoredRoom } from '../../src/store/index.ts'
import type { ChatMessage } from '../../src/types.ts'
import type { TestContext } from 'node:test'

export interface Fixture {
  /** a fresh temp dir; the data dir is `dataDir` inside it (not yet created) */
  root: string
  dataDir: string
  /** tracks `store` so that it is closed before the dir is removed */
  track<S extends Store>(store: S): S
}

export async function fixture (t: TestContext): Promise<Fixture> {
  const stores: Store[] = []
  // registered before the dir's hook, so it runs first: every store is closed before the dir goes
  t.after(async () => {
    for (const store of stores) {
      await store.close().catch(() => {})
    }
  })
  const root = await tempDir(t, 'securechat-store-')
  return {
    root,
    dataDir: join(root, 'data'),
    track (store) {
      stores.push(store)
      return store
    }
  }
}

/** Realistic peer ids; B is not a prefix of A, C has A as a prefix */
export const PEER_A = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
export const PEER_B = '12D3KooWRm3AETQmkmHrHTNt4qvgUtCJsYDuQ6Mf2ZrmbuDhfcLx'
export const PEER_C = PEER_A + 'x'
export const SELF = '12D3KooWSeLfSeLfSeLfSeLfSeLfSeLfSeLfSeLfSeLfSeLfSeLf'

export function messageId (): string {
  return randomBytes(16).toString('hex')
}

/** An incoming message from `peer`, or outgoing with `direction: 'out'` */
export function message (peer: string, overrides: Partial<ChatMessage> = {}): ChatMessage {
  const direction = overrides.direction ?? 'in'
  const base: ChatMessage = {
    id: messageId(),
    peer,
    direction,
    from: direction === 'in' ? peer : SELF,
    name: direction === 'in' ? 'alice' : 'me',
    text: 'hello',
    ts: 1_700_000_000_000
  }
  if (direction === 'out') {
    base.status = 'pending'
  }
  return { ...base, ...overrides }
}

/** A joined room with a fresh random id and keys, no key and no members unless told otherwise */
export function room (overrides: Partial<StoredRoom> = {}): StoredRoom {
  return {
    id: randomBytes(16).toString('hex'),
    name: 'demo',
    proofKey: new Uint8Array(randomBytes(32)),
    rendezvousKey: new Uint8Array(randomBytes(32)),
    joinedAt: 1_700_000_000_000,
    members: [],
    ...overrides
  }
}

/**
 * In-process securechat nodes for loopback tests: each on 127.0.0.1 with
 * mDNS off (no multicast leaves the host) in a temp data dir of its own.
 * Every node started through a `LoopbackNodes` is stopped, then its data
 * dir removed, in the `after` hook the test file registers.
 */
import { createChatNode } from '../../src/node/index.ts'
import { createTempDir } from './tmp.ts'
import type { TempDir } from './tmp.ts'
import type { ChatNodeInit } from '../../src/node/index.ts'
import type { ChatNode } from '../../src/types.ts'

export class LoopbackNodes {
  private readonly prefix: string
  private readonly dirs: TempDir[] = []
  private readonly nodes: ChatNode[] = []

  constructor (prefix = 'securechat-node-') {
    this.prefix = prefix
  }

  /** A fresh data dir, removed at cleanup */
  async dataDir (): Promise<string> {
    const dir = await createTempDir(this.prefix)
    this.dirs.push(dir)
    return dir.path
  }

  async start (init: Partial<ChatNodeInit> & { name: string }): Promise<ChatNode> {
    const node = await createChatNode({ dataDir: init.dataDir ?? await this.dataDir(), host: '127.0.0.1', mdns: false, ...init })
    this.nodes.push(node)
    return node
  }

  /** the nodes first: a data dir goes only once its node has closed its database */
  async cleanup (): Promise<void> {
    await Promise.allSettled(this.nodes.splice(0).map(async n => n.stop()))
    await Promise.all(this.dirs.splice(0).map(async d => d.remove()))
  }
}

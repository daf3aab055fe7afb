/**
 * Waiting on an in-process ChatNode: its next event of a kind, or a
 * condition, each with a bounded wait and an error naming what was awaited.
 */
import type { ChatNode, ChatNodeEvents } from '../../src/types.ts'

export type Detail<K extends keyof ChatNodeEvents> = ChatNodeEvents[K]['detail']

export async function nextEvent<K extends keyof ChatNodeEvents> (node: ChatNode, type: K, match: (d: Detail<K>) => boolean = () => true, ms = 20_000): Promise<Detail<K>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.removeEventListener(type, listener)
      reject(new Error(`timed out after ${ms} ms waiting for a '${type}' event`))
    }, ms)
    const listener = (evt: Event): void => {
      const detail = (evt as CustomEvent<Detail<K>>).detail
      if (match(detail)) {
        clearTimeout(timer)
        node.removeEventListener(type, listener)
        resolve(detail)
      }
    }
    node.addEventListener(type, listener)
  })
}

export async function until (what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/**
 * Checks of the addresses a user gives a face before any node sees them (a
 * `--relay` flag, say), so that a face can refuse them as a usage error
 * without parsing multiaddrs itself. Pure.
 */
import { parseMultiaddrs } from '../net/multiaddr.ts'
import { canonicalPeerId } from './resolve.ts'

/** Why `addr` is not a multiaddr ending in /p2p/<valid peer id>, or undefined if it is one */
export function peerAddrProblem (addr: string): 'not-a-multiaddr' | 'no-peer-id' | undefined {
  const [ma] = parseMultiaddrs([addr])

  if (ma == null) {
    return 'not-a-multiaddr'
  }

  const last = ma.getComponents().at(-1)

  return last?.name === 'p2p' && last.value != null && canonicalPeerId(last.value) != null ? undefined : 'no-peer-id'
}

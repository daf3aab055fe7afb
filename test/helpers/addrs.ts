/**
 * Reading the addresses a node under test reports: its TCP port, to restart
 * it on the same one or to health-check it by host and port.
 */
import { multiaddr } from '@multiformats/multiaddr'

/** The port of the first /tcp/ component of `addr`; throws if there is none */
export function tcpPort (addr: string): number {
  const port = multiaddr(addr).getComponents().find(c => c.name === 'tcp')?.value
  if (port === undefined) {
    throw new Error(`no /tcp/ port in address '${addr}'`)
  }
  return Number(port)
}

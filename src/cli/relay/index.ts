/**
 * `securechat relay`: start the relay, print its addresses (`ready`) and its
 * reservations, run until SIGINT or SIGTERM, then stop cleanly. Standard
 * input is not read, so the relay runs the same in a container without -i.
 */
import { toErrorInfo } from '../errors.ts'
import { JsonLines } from '../json-lines.ts'
import { EXIT_FAILURE, EXIT_OK, handleInterrupts } from '../signals.ts'
import { Terminal } from '../terminal.ts'
import type { MainIo } from '../io.ts'
import type { JsonFields } from '../json-lines.ts'
import type { RelayOptions } from './options.ts'

export async function relay (options: RelayOptions, io: MainIo): Promise<number> {
  const sink = new Terminal(io.stdout, io.stderr)
  const json = options.json ? new JsonLines(sink) : undefined
  /** a JSON line, or the text for people */
  const print = (type: string, fields: JsonFields, text: string): void => {
    if (json != null) {
      json.write(type, fields)
    } else {
      sink.out(text)
    }
  }
  const fail = (err: unknown): number => {
    const info = toErrorInfo(err)

    if (json != null) {
      json.write('error', { ...info })
    } else {
      sink.err(`error: ${info.message}`)
    }

    return EXIT_FAILURE
  }

  const { createRelayNode } = await import('../../relay/server.ts')
  const interrupts = handleInterrupts(io.signals, io.exit)

  try {
    let node

    try {
      node = await createRelayNode({
        dataDir: options.dataDir,
        port: options.port,
        announce: options.announce,
        maxReservations: options.maxReservations,
        reservationTtl: options.reservationTtl,
        durationLimit: options.durationLimit,
        dataLimit: options.dataLimit,
        maxConnections: options.maxConnections,
        maxConnectionsPerIp: options.maxConnectionsPerIp,
        inboundConnectionThreshold: options.inboundConnectionThreshold,
        ...(options.host != null ? { host: options.host } : {}),
        ...(options.passphrase != null ? { passphrase: options.passphrase } : {})
      })
    } catch (err) {
      return fail(err)
    }

    node.addEventListener('reservation', (evt) => {
      print('reservation', { peerId: evt.detail.peerId, expiry: evt.detail.expiry }, `reservation: ${evt.detail.peerId} until ${new Date(evt.detail.expiry).toISOString()}`)
    })

    const addrs = node.addrs()
    print('ready', { peerId: node.peerId, addrs }, [
      `securechat relay ${node.peerId}`,
      'nodes reach this relay with --relay and one of:',
      ...addrs.map(a => `  ${a}`)
    ].join('\n'))

    // a signal during startup stops the relay as soon as it is up
    await interrupts.stopRequested

    try {
      await node.stop()
    } catch (err) {
      return fail(err)
    }

    print('stopped', {}, 'relay stopped')
    return EXIT_OK
  } finally {
    interrupts.dispose()
  }
}

/**
 * `securechat relay`: start the relay, print its addresses (`ready`) and its
 * reservations, run until SIGINT or SIGTERM, then stop cleanly. Standard
 * input is not read, so the relay runs the same in a container without -i.
 */
import { EXIT_FAILURE, EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM } from '../session.ts'
import { toErrorInfo } from '../output.ts'
import type { RelayOptions } from '../args.ts'
import type { MainIo } from '../main.ts'

function printer (io: MainIo, json: boolean): { line: (type: string, fields: Record<string, unknown>, text: string) => void } {
  return {
    line: (type, fields, text) => {
      io.stdout.write(json ? `${JSON.stringify({ type, ...fields })}\n` : `${text}\n`)
    }
  }
}

export async function relay (options: RelayOptions, io: MainIo): Promise<number> {
  const out = printer(io, options.json)
  const { createRelayNode } = await import('../../relay/server.ts')
  const stopped = Promise.withResolvers<number>()
  let stopping = false

  const onSignal = (code: number) => () => {
    if (stopping) {
      io.exit(code)
      return
    }

    stopped.resolve(EXIT_OK)
  }
  const onSigint = onSignal(EXIT_SIGINT)
  const onSigterm = onSignal(EXIT_SIGTERM)
  io.signals.on('SIGINT', onSigint)
  io.signals.on('SIGTERM', onSigterm)

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
        ...(options.host != null ? { host: options.host } : {}),
        ...(options.passphrase != null ? { passphrase: options.passphrase } : {})
      })
    } catch (err) {
      const info = toErrorInfo(err)

      if (options.json) {
        out.line('error', { ...info }, '')
      } else {
        io.stderr.write(`error: ${info.message}\n`)
      }

      return EXIT_FAILURE
    }

    node.addEventListener('reservation', (evt) => {
      out.line('reservation', { peerId: evt.detail.peerId, expiry: evt.detail.expiry }, `reservation: ${evt.detail.peerId} until ${new Date(evt.detail.expiry).toISOString()}`)
    })

    const addrs = node.addrs()
    out.line('ready', { peerId: node.peerId, addrs }, [
      `securechat relay ${node.peerId}`,
      'nodes reach this relay with --relay and one of:',
      ...addrs.map(a => `  ${a}`)
    ].join('\n'))

    const code = await stopped.promise
    stopping = true
    await node.stop()
    out.line('stopped', {}, 'relay stopped')
    return code
  } finally {
    io.signals.off('SIGINT', onSigint)
    io.signals.off('SIGTERM', onSigterm)
  }
}

/**
 * `securechat relay-health`: exit 0 if the relay at --host/--port answers as
 * a circuit relay, 1 with the reason otherwise. The container HEALTHCHECK.
 */
import { toErrorInfo } from '../errors.ts'
import { JsonLines } from '../json-lines.ts'
import { EXIT_FAILURE, EXIT_OK } from '../signals.ts'
import { Terminal } from '../terminal.ts'
import type { MainIo } from '../io.ts'
import type { RelayHealthOptions } from './options.ts'

export async function relayHealth (options: RelayHealthOptions, io: MainIo): Promise<number> {
  const sink = new Terminal(io.stdout, io.stderr)
  const json = options.json ? new JsonLines(sink) : undefined
  const { checkRelayHealth } = await import('../../relay/health.ts')

  try {
    const report = await checkRelayHealth({ host: options.host, port: options.port })

    if (json != null) {
      json.write('health', { status: 'healthy', peerId: report.peerId, rtt: report.rtt })
    } else {
      sink.out(`healthy: relay ${report.peerId} answered in ${report.rtt} ms`)
    }

    return EXIT_OK
  } catch (err) {
    const { code, message } = toErrorInfo(err)

    if (json != null) {
      json.write('health', { status: 'unhealthy', code, message })
    } else {
      sink.out(`unhealthy: ${message}`)
    }

    return EXIT_FAILURE
  }
}

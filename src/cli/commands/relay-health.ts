/**
 * `securechat relay-health`: exit 0 if the relay at --host/--port answers as
 * a circuit relay, 1 with the reason otherwise. The container HEALTHCHECK.
 */
import { EXIT_FAILURE, EXIT_OK } from '../session.ts'
import type { RelayHealthOptions } from '../args.ts'
import type { MainIo } from '../main.ts'

export async function relayHealth (options: RelayHealthOptions, io: MainIo): Promise<number> {
  const { checkRelayHealth } = await import('../../relay/health.ts')

  try {
    const report = await checkRelayHealth({ host: options.host, port: options.port })
    io.stdout.write(options.json
      ? `${JSON.stringify({ type: 'health', status: 'healthy', peerId: report.peerId, rtt: report.rtt })}\n`
      : `healthy: relay ${report.peerId} answered in ${report.rtt} ms\n`)
    return EXIT_OK
  } catch (err) {
    const e = err as Error
    io.stdout.write(options.json
      ? `${JSON.stringify({ type: 'health', status: 'unhealthy', code: e.name, message: e.message })}\n`
      : `unhealthy: ${e.message}\n`)
    return EXIT_FAILURE
  }
}

/**
 * The relay's Dockerfile, built for real with podman on a local stand-in of
 * the base image, then run from the image's root filesystem (see image.ts):
 * the config a runtime acts on, production dependencies, tini as PID 1, the
 * HEALTHCHECK command.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Topology, netnsSkip } from '../net/netns.ts'
import { buildImage, cleanupStaleContainers, inspectImage, makeBaseImage, MountedImage, podmanSkip, pruneImages } from './image.ts'
import type { ImageConfig } from './image.ts'

const TAG = 'localhost/securechat-relay:nettest'
const PORT = '4001'

const skip = await podmanSkip()
const netSkip = skip === false ? await netnsSkip() : skip

describe('Dockerfile: the relay image', { skip }, () => {
  let config: ImageConfig
  let image: MountedImage | undefined

  before(async () => {
    await cleanupStaleContainers()
    await pruneImages()
    const base = await makeBaseImage()
    console.log(`# base image ${base.created ? `built in ${base.seconds.toFixed(1)} s` : 'already present'} (log ${base.logFile})`)
    const built = await buildImage({ tag: TAG })
    config = await inspectImage(TAG)
    console.log(`# podman build: ${built.seconds.toFixed(1)} s, image ${(config.size / 1e6).toFixed(0)} MB (log ${built.logFile})`)
    image = await MountedImage.mount(TAG)
  }, { timeout: 30 * 60_000 })

  after(async () => {
    await image?.close()
  })

  function mounted (): MountedImage {
    assert.ok(image != null, 'image was not mounted')
    return image
  }

  test('config: non-root user, tini as init, /data volume, port 4001, a HEALTHCHECK that runs relay-health', () => {
    assert.equal(config.user, 'node')
    assert.notEqual(mounted().resolveUser().uid, 0)
    assert.deepEqual(config.entrypoint, ['tini', '--', 'node', '/app/dist/src/bin.js'])
    assert.deepEqual(config.cmd, ['relay'])
    assert.equal(config.workingDir, '/app')
    assert.deepEqual(config.volumes, ['/data'])
    assert.deepEqual(config.exposedPorts, [`${PORT}/tcp`])
    assert.ok(config.env.includes('NODE_ENV=production'), config.env.join(' '))
    assert.ok(config.env.includes('SECURECHAT_DATA_DIR=/data'), config.env.join(' '))
    assert.ok(config.healthcheck != null, 'no HEALTHCHECK')
    assert.deepEqual(config.healthcheck.test, ['CMD', 'node', '/app/dist/src/bin.js', 'relay-health'])
    assert.ok(config.env.includes(`SECURECHAT_RELAY_PORT=${PORT}`), config.env.join(' '))
    assert.ok(config.healthcheck.timeoutMs < config.healthcheck.intervalMs)
  })

  test('only the compiled code and production dependencies are in /app', async () => {
    const root = mounted().root
    assert.ok(existsSync(join(root, 'app/dist/src')), 'no /app/dist/src')
    for (const absent of ['app/src', 'app/test', 'app/.git', 'app/node_modules/typescript', 'app/node_modules/node', 'app/node_modules/eslint']) {
      assert.ok(!existsSync(join(root, absent)), `${absent} should not be in the image`)
    }
  })

  test('production dependencies load as the image user, and LevelDB (native) writes to /data', async () => {
    const script = `
      for (const m of ['libp2p', '@libp2p/circuit-relay-v2', '@libp2p/tcp', '@chainsafe/libp2p-noise', '@chainsafe/libp2p-yamux', 'level']) await import(m)
      const { ClassicLevel } = await import('classic-level')
      const db = new ClassicLevel(process.env.SECURECHAT_DATA_DIR + '/probe-db')
      await db.open(); await db.put('k', 'v'); const v = await db.get('k'); await db.close()
      const dev = await import('typescript').then(() => 'present', () => 'absent')
      console.log(JSON.stringify({ v, dev, uid: process.getuid(), env: process.env.NODE_ENV, cwd: process.cwd() }))`
    const result = await mounted().run({ entrypoint: ['node', '--input-type=module', '-e', script], timeout: 60_000 })
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(JSON.parse(result.stdout.trim()), { v: 'v', dev: 'absent', uid: 1000, env: 'production', cwd: '/app' })
  })

  test('the CLI starts: `securechat --help` exits 0', async t => {
    if (!existsSync(join(mounted().root, 'app/dist/src/bin.js'))) {
      t.skip('src/bin.ts does not exist yet')
      return
    }
    const result = await mounted().run({ cmd: ['--help'], timeout: 30_000 })
    assert.equal(result.code, 0, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`)
    assert.match(result.stdout, /securechat/i)
  })

  describe('in a network namespace', { skip: netSkip }, () => {
    test('tini is PID 1 and forwards `docker stop` (SIGTERM); exec shares the container\'s network', async t => {
      const net = Topology.create({ t })
      const ns = await net.addNamespace('dock')
      // a stand-in for the relay: listens on the port, leaves on SIGTERM
      const script = `
        const server = require('node:net').createServer(s => s.end()).listen(${PORT}, () => console.log('listening'))
        process.on('SIGTERM', () => { console.log('SIGTERM'); server.close(() => process.exit(0)) })`
      const container = mounted().start({ entrypoint: ['tini', '--', 'node', '-e', script], ns, t })
      await container.waitForOutput(/listening/)

      const ps = await container.exec(['sh', '-c', 'cat /proc/1/comm; id -u'])
      assert.equal(ps.code, 0, ps.stderr)
      assert.deepEqual(ps.stdout.trim().split('\n'), ['tini', '1000'])

      const connect = `require('node:net').connect(${PORT}, 'localhost').on('connect', () => process.exit(0)).on('error', () => process.exit(1))`
      const inside = await container.exec(['node', '-e', connect], { timeout: 10_000 })
      assert.equal(inside.code, 0, `exec could not reach the container's port: ${inside.stderr}`)

      const stopped = await container.stop(10_000)
      assert.deepEqual(stopped, { code: 0, signal: null, forced: false }, container.diagnostics())
      assert.match(container.stdout, /SIGTERM/)
    })

    test('the HEALTHCHECK fails when no relay listens', async t => {
      const net = Topology.create({ t })
      const ns = await net.addNamespace('nohealth')
      const result = await mounted().runHealthcheck({ ns })
      assert.notEqual(result.code, 0, `health check passed with nothing listening:\n${result.stdout}`)
      assert.equal(result.timedOut, false, 'health check did not finish within the HEALTHCHECK timeout')
    })

    // ---------------------------------------------------------------------
    // LATER (lead, once `securechat relay` and `relay-health` exist):
    // start the relay from the image with its own CMD, two securechat nodes
    // reserve a slot on it and chat through it, the HEALTHCHECK passes while
    // it runs, `docker stop` ends it with code 0, and a restart keeps the
    // peer id (key in the /data volume). Sketch:
    //
    //   const net = Topology.create({ t }); const lan = await net.addBridge('lan')
    //   const relayHost = await net.addHost('relay', { bridge: lan })
    //   const data = await tempDir(t); await chown(data, 1000, 1000)
    //   const relay = mounted().start({ ns: relayHost, binds: [{ source: data, target: '/data' }], t })
    //   await relay.waitForOutput(/<relay listening line>/)
    //   assert.equal((await relay.runHealthcheck()).code, 0)
    //   ... spawnChat({ ns: aliceHost, args: ['--relay', relayAddr] }) x2, reserve, chat ...
    //   assert.deepEqual(await relay.stop(), { code: 0, signal: null, forced: false })
    // ---------------------------------------------------------------------
  })
})

/**
 * Docker images without a Docker engine, for tests: build an image with
 * podman, read its config, and run it the way a container runtime would.
 *
 * `podman run` cannot start containers here (it sets rlimits the machine
 * refuses), so a container is the image's root filesystem (`podman create` +
 * `podman mount`) entered with `chroot`:
 *
 *   setpriv --pdeathsig KILL [ip netns exec NS] unshare --pid --fork --kill-child --mount \
 *     sh -c 'mount proc, /dev, /sys, /etc/hosts, binds; exec chroot --userspec=UID:GID ROOT \
 *            env -i -C WORKDIR <image env> <entrypoint> <cmd>'
 *
 * so the entrypoint is PID 1 of its own pid namespace (as under Docker: tini
 * really is init), runs as the image's USER with only the image's ENV, in its
 * WORKDIR, optionally inside a network namespace. Its mounts live in a private
 * mount namespace and vanish with it; if the test process dies, pdeathsig and
 * --kill-child take the whole container down. `exec()` and the HEALTHCHECK
 * enter a running container with `nsenter`, like `docker exec`.
 */
import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { onExit } from '../helpers/cleanup.ts'
import { REPO_ROOT } from '../helpers/process.ts'
import { CommandError, run } from '../net/netns.ts'
import type { InNamespace } from '../net/netns.ts'

export { CommandError }

/** The FROM of the Dockerfile, as podman names it */
export const BASE_IMAGE = 'docker.io/library/node:24-bookworm-slim'
export const MAKE_BASE_IMAGE = join(REPO_ROOT, 'scripts/docker/make-base-image.sh')
/** Build logs go here (git-ignored) */
export const LOG_DIR = join(REPO_ROOT, '.tmp/docker')
/** Every podman call: no systemd here */
const PODMAN_GLOBAL = ['--cgroup-manager=cgroupfs'] as const
/** Containers this module creates are named `<prefix>-<pid36>-<rand>` */
const CONTAINER_PREFIX = 'securechat-test'
const CONTAINER_LABEL = 'org.securechat.test=1'
/** What a container sees as /etc/hosts (Docker writes the same) */
const HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
/** How much of a container's stdout and stderr to keep (the tail) */
const OUTPUT_KEEP = 256 * 1024

/** A build or the base image script failed; `log` is the full output */
export class ImageBuildError extends Error {
  static override name = 'ImageBuildError'
  override name = 'ImageBuildError'
  readonly log: string

  constructor (message: string, log: string, options?: ErrorOptions) {
    super(message, options)
    this.log = log
  }
}

/** A container did not get as far as running its command */
export class ContainerError extends Error {
  static override name = 'ContainerError'
  override name = 'ContainerError'
}

async function podman (args: readonly string[], timeout = 120_000): Promise<string> {
  return run('podman', [...PODMAN_GLOBAL, ...args], { timeout })
}

function podmanSync (args: readonly string[]): void {
  try {
    execFileSync('podman', [...PODMAN_GLOBAL, ...args], { stdio: 'ignore', timeout: 30_000 })
  } catch {
    // best effort: exit hooks
  }
}

/** Quote one word for sh */
function q (word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`
}

function nsName (where: InNamespace): string {
  return typeof where === 'string' ? where : where.ns
}

// ---- tools -----------------------------------------------------------------

async function hasCommand (cmd: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${q(cmd)}`])
    return true
  } catch {
    return false
  }
}

let podmanReady: Promise<false | string> | undefined

/**
 * For `describe(name, { skip: await podmanSkip() })`: false when images can be
 * built and run here, else why not. Installs podman and debootstrap with apt
 * when they are missing (the tests need root anyway).
 */
export async function podmanSkip (): Promise<false | string> {
  podmanReady ??= (async () => {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) {
      return 'image tests skipped: they need root on Linux (podman, chroot, mount)'
    }
    const missing = []
    for (const tool of ['podman', 'debootstrap']) {
      if (!await hasCommand(tool)) {
        missing.push(tool)
      }
    }
    if (missing.length > 0) {
      try {
        await run('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`], { timeout: 600_000 })
      } catch (err) {
        return `image tests skipped: cannot install ${missing.join(', ')} with apt: ${(err as Error).message.slice(0, 500)}`
      }
    }
    for (const tool of ['podman', 'debootstrap', 'unshare', 'nsenter', 'setpriv', 'chroot', 'mount']) {
      if (!await hasCommand(tool)) {
        return `image tests skipped: \`${tool}\` is not available`
      }
    }
    return false
  })()
  return podmanReady
}

// ---- building ----------------------------------------------------------------

export interface LoggedRunOptions {
  /** milliseconds; default 20 minutes */
  timeout?: number
  signal?: AbortSignal
  env?: NodeJS.ProcessEnv
}

/**
 * Run a command with stdout and stderr going to `logFile`; throw an
 * ImageBuildError with the tail of the log if it fails. Resolves with the
 * time it took in seconds.
 */
async function runLogged (what: string, cmd: string, args: readonly string[], logFile: string, options: LoggedRunOptions = {}): Promise<number> {
  await mkdir(join(logFile, '..'), { recursive: true })
  const fd = openSync(logFile, 'w')
  const started = performance.now()
  let child: ChildProcess
  try {
    child = spawn(cmd, args, { stdio: ['ignore', fd, fd], cwd: REPO_ROOT, env: options.env ?? process.env })
  } finally {
    closeSync(fd)
  }
  const unregister = onExit(() => { child.kill('SIGKILL') })
  const timeout = options.timeout ?? 20 * 60_000
  const timer = setTimeout(() => { child.kill('SIGKILL') }, timeout)
  const onAbort = (): void => { child.kill('SIGKILL') }
  options.signal?.addEventListener('abort', onAbort, { once: true })
  const exit = await new Promise<{ code: number | null, signal: NodeJS.Signals | null, error?: Error }>(resolve => {
    child.once('error', error => { resolve({ code: null, signal: null, error }) })
    child.once('close', (code, signal) => { resolve({ code, signal }) })
  })
  clearTimeout(timer)
  options.signal?.removeEventListener('abort', onAbort)
  unregister()
  const seconds = (performance.now() - started) / 1000
  if (exit.code === 0) {
    return seconds
  }
  const log = await readFile(logFile, 'utf8').catch(() => '')
  const tail = log.split('\n').filter(line => !/^(Copying|Getting|Writing|Storing) /.test(line)).slice(-40).join('\n')
  const how = exit.error != null
    ? `could not start: ${exit.error.message}`
    : exit.signal != null ? `was killed (${exit.signal}${seconds * 1000 >= timeout ? `, timed out after ${timeout} ms` : ''})` : `exited with code ${exit.code}`
  throw new ImageBuildError(`${what} ${how} after ${seconds.toFixed(1)} s; full log: ${logFile}\n${tail}`, log, { cause: exit.error })
}

export interface BaseImageResult {
  /** false when the tag already existed and nothing was done */
  created: boolean
  seconds: number
  logFile: string
}

/** Build the local stand-in for BASE_IMAGE (scripts/docker/make-base-image.sh) unless it exists */
export async function makeBaseImage (options: LoggedRunOptions & { force?: boolean, logFile?: string } = {}): Promise<BaseImageResult> {
  const logFile = options.logFile ?? join(LOG_DIR, 'base-image.log')
  const existed = !options.force && await imageExists(BASE_IMAGE)
  const env = { ...process.env, BASE_IMAGE, ...(options.force === true ? { FORCE: '1' } : {}) }
  const seconds = await runLogged('make-base-image.sh', 'bash', [MAKE_BASE_IMAGE], logFile, { ...options, env })
  return { created: !existed, seconds, logFile }
}

/**
 * Remove untagged images (earlier builds' stages and layer cache) older than
 * `until` (default a day), so repeated builds do not fill the disk while a
 * rebuild the same day still hits the cache.
 */
export async function pruneImages (until = '24h'): Promise<void> {
  await podman(['image', 'prune', '--force', '--filter', `until=${until}`])
}

export async function imageExists (tag: string): Promise<boolean> {
  try {
    await podman(['image', 'exists', tag])
    return true
  } catch {
    return false
  }
}

export interface BuildOptions extends LoggedRunOptions {
  /** the tag to give the image */
  tag: string
  /** build context; default the repository */
  context?: string
  /** default <context>/Dockerfile */
  dockerfile?: string
  /** a stage to stop at */
  target?: string
  buildArgs?: Record<string, string>
  /** default .tmp/docker/build-<tag>.log */
  logFile?: string
}

export interface BuildResult {
  tag: string
  id: string
  seconds: number
  logFile: string
}

/**
 * `podman build` the Dockerfile for real (RUN steps run, with the host's
 * network so npm reaches the registry), in Docker format so HEALTHCHECK is
 * kept. Never pulls: the base image must exist locally (makeBaseImage()).
 */
export async function buildImage (options: BuildOptions): Promise<BuildResult> {
  const context = options.context ?? REPO_ROOT
  const logFile = options.logFile ?? join(LOG_DIR, `build-${options.tag.replace(/[^\w.-]+/g, '_')}.log`)
  const args = [
    ...PODMAN_GLOBAL, 'build',
    '--format=docker', '--isolation=chroot', '--network=host', '--pull=never',
    '--tag', options.tag,
    '--file', options.dockerfile ?? join(context, 'Dockerfile'),
    ...(options.target != null ? ['--target', options.target] : []),
    ...Object.entries(options.buildArgs ?? {}).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
    context
  ]
  const seconds = await runLogged(`podman build of ${options.tag}`, 'podman', args, logFile, options)
  const id = (await podman(['image', 'inspect', '--format', '{{.Id}}', options.tag])).trim()
  return { tag: options.tag, id, seconds, logFile }
}

// ---- inspecting ----------------------------------------------------------------

export interface Healthcheck {
  /** as in the image: ['CMD', ...argv] or ['CMD-SHELL', command] */
  test: string[]
  intervalMs: number
  timeoutMs: number
  startPeriodMs: number
  retries: number
}

/** The parts of an image's config that a container runtime acts on */
export interface ImageConfig {
  id: string
  entrypoint: string[]
  cmd: string[]
  /** 'KEY=value', in order */
  env: string[]
  workingDir: string
  /** '' means root */
  user: string
  /** e.g. ['4001/tcp'] */
  exposedPorts: string[]
  volumes: string[]
  stopSignal: string
  healthcheck?: Healthcheck
  labels: Record<string, string>
  /** bytes */
  size: number
}

interface InspectJson {
  Id: string
  Size?: number
  Config?: {
    Entrypoint?: string[] | null
    Cmd?: string[] | null
    Env?: string[] | null
    WorkingDir?: string
    User?: string
    ExposedPorts?: Record<string, unknown> | null
    Volumes?: Record<string, unknown> | null
    StopSignal?: string
    Labels?: Record<string, string> | null
  }
  Healthcheck?: { Test?: string[], Interval?: number, Timeout?: number, StartPeriod?: number, Retries?: number } | null
}

const NS_PER_MS = 1e6

/** `podman image inspect`, reduced to what a runtime uses (durations in ms, Docker's defaults filled in) */
export async function inspectImage (tag: string): Promise<ImageConfig> {
  const [image] = JSON.parse(await podman(['image', 'inspect', tag])) as InspectJson[]
  if (image == null) {
    throw new ContainerError(`no image ${tag}`)
  }
  const config = image.Config ?? {}
  const hc = image.Healthcheck
  const test = hc?.Test ?? []
  return {
    id: image.Id,
    entrypoint: config.Entrypoint ?? [],
    cmd: config.Cmd ?? [],
    env: config.Env ?? [],
    workingDir: config.WorkingDir ?? '',
    user: config.User ?? '',
    exposedPorts: Object.keys(config.ExposedPorts ?? {}),
    volumes: Object.keys(config.Volumes ?? {}),
    stopSignal: config.StopSignal ?? 'SIGTERM',
    ...(test.length > 0 && test[0] !== 'NONE'
      ? {
          healthcheck: {
            test,
            intervalMs: (hc?.Interval ?? 0) > 0 ? (hc?.Interval ?? 0) / NS_PER_MS : 30_000,
            timeoutMs: (hc?.Timeout ?? 0) > 0 ? (hc?.Timeout ?? 0) / NS_PER_MS : 30_000,
            startPeriodMs: (hc?.StartPeriod ?? 0) / NS_PER_MS,
            retries: (hc?.Retries ?? 0) > 0 ? (hc?.Retries ?? 0) : 3
          }
        }
      : {}),
    labels: config.Labels ?? {},
    size: image.Size ?? 0
  }
}

/** The argv a HEALTHCHECK test runs */
export function healthcheckArgv (hc: Healthcheck): string[] {
  const [kind, ...rest] = hc.test
  if (kind === 'CMD') {
    return rest
  }
  if (kind === 'CMD-SHELL') {
    return ['/bin/sh', '-c', rest.join(' ')]
  }
  throw new TypeError(`unknown HEALTHCHECK test: ${JSON.stringify(hc.test)}`)
}

// ---- running -----------------------------------------------------------------

/** A user as the image's /etc/passwd and /etc/group resolve it */
export interface ImageUser {
  uid: number
  gid: number
  groups: number[]
  home: string
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface RunResult extends Exit {
  stdout: string
  stderr: string
  timedOut: boolean
}

export interface ProcessOptions {
  /** USER to run as (name or uid, optionally :group); default the image's */
  user?: string
  /** added to (or replacing) the image's ENV */
  env?: Record<string, string>
  /** default the image's WORKDIR, else / */
  workdir?: string
}

export interface StartOptions extends ProcessOptions {
  /** like `docker run --entrypoint`: replaces ENTRYPOINT and drops CMD unless `cmd` is given */
  entrypoint?: string[]
  /** like the arguments after the image in `docker run`: replaces CMD */
  cmd?: string[]
  /** run inside this network namespace; default the host's */
  ns?: InNamespace
  /** like `-v host:container[:ro]`, bind mounts into the container */
  binds?: Array<{ source: string, target: string, readOnly?: boolean }>
  /** kill the container when this test ends */
  t?: { after: (fn: () => unknown) => void }
}

export interface OneShotOptions extends StartOptions {
  /** milliseconds before the container is killed; default 60 s */
  timeout?: number
}

/** Direct children of `pid` (scanning /proc) */
async function childrenOf (pid: number): Promise<number[]> {
  const found: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue
    }
    try {
      const text = await readFile(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) {
        found.push(Number(entry))
      }
    } catch {
      // exited meanwhile
    }
  }
  return found
}

/** `pid` and all its descendants, parents first */
async function processTree (pid: number): Promise<number[]> {
  const tree = [pid]
  for (let i = 0; i < tree.length; i++) {
    tree.push(...await childrenOf(tree[i] ?? 0))
  }
  return tree
}

function signalPid (pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal)
    return true
  } catch {
    return false
  }
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * SIGKILL every process whose root directory is `root` (a container's
 * processes, whoever their parent is now). Synchronous for exit hooks.
 */
function killProcessesInSync (root: string): number {
  let killed = 0
  for (const entry of readdirSync('/proc')) {
    if (/^\d+$/.test(entry)) {
      try {
        if (readlinkSync(`/proc/${entry}/root`) === root && signalPid(Number(entry), 'SIGKILL')) {
          killed++
        }
      } catch {
        // exited meanwhile, or a kernel thread
      }
    }
  }
  return killed
}

/** SIGKILL a process and everything below it */
async function killTree (pid: number): Promise<void> {
  for (const p of (await processTree(pid)).reverse()) {
    signalPid(p, 'SIGKILL')
  }
}

/** Collects a child's output and exit */
class Output {
  stdout = ''
  stderr = ''
  exit: Exit | undefined
  readonly exited: Promise<Exit>

  constructor (child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { this.stdout = (this.stdout + chunk).slice(-OUTPUT_KEEP) })
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { this.stderr = (this.stderr + chunk).slice(-OUTPUT_KEEP) })
    this.exited = new Promise<Exit>(resolve => {
      child.once('error', err => {
        this.stderr += `\n[spawn error] ${err.message}`
        this.exit ??= { code: null, signal: null }
        resolve(this.exit)
      })
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.exit ??= { code, signal }
        resolve(this.exit)
      })
    })
  }

  /** Wait for the exit; after `timeout` ms kill `pid`'s whole tree */
  async result (pid: number | undefined, timeout: number): Promise<RunResult> {
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      if (pid != null) {
        void killTree(pid)
      }
    }, timeout)
    const exit = await this.exited
    clearTimeout(timer)
    return { ...exit, stdout: this.stdout, stderr: this.stderr, timedOut }
  }
}

/**
 * An image's root filesystem, mounted and ready to run containers from. One
 * root is shared by the containers started from it (their writes land in the
 * same upper layer, as with `docker run` of one container, restarted).
 */
export class MountedImage {
  readonly tag: string
  readonly name: string
  readonly root: string
  readonly config: ImageConfig
  private readonly hostsFile: string
  private readonly containers = new Set<Container>()
  private readonly unregister: () => void
  private closing: Promise<void> | undefined

  private constructor (tag: string, name: string, root: string, config: ImageConfig, hostsFile: string) {
    this.tag = tag
    this.name = name
    this.root = root
    this.config = config
    this.hostsFile = hostsFile
    this.unregister = onExit(() => {
      for (const container of this.containers) {
        container.killSync()
      }
      killProcessesInSync(this.root)
      podmanSync(['rm', '--force', '--volumes', this.name])
    })
  }

  /** `podman create` + `podman mount` the image; `t` closes it when the test ends */
  static async mount (tag: string, options: { t?: { after: (fn: () => unknown) => void } } = {}): Promise<MountedImage> {
    const config = await inspectImage(tag)
    const name = `${CONTAINER_PREFIX}-${process.pid.toString(36)}-${randomBytes(3).toString('hex')}`
    await podman(['create', '--name', name, '--label', CONTAINER_LABEL, tag])
    let root: string
    try {
      root = (await podman(['mount', name])).trim()
      await stat(root)
    } catch (err) {
      podmanSync(['rm', '--force', '--volumes', name])
      throw err
    }
    const dir = await mkdtemp(join(tmpdir(), 'securechat-image-'))
    const hostsFile = join(dir, 'hosts')
    await writeFile(hostsFile, HOSTS)
    const image = new MountedImage(tag, name, root, config, hostsFile)
    options.t?.after(async () => { await image.close() })
    return image
  }

  /** Resolve USER ('name', 'uid', 'name:group', 'uid:gid') in the image's passwd and group files */
  resolveUser (spec = this.config.user): ImageUser {
    const passwd = readFileSync(join(this.root, 'etc/passwd'), 'utf8').split('\n').map(l => l.split(':'))
    const group = readFileSync(join(this.root, 'etc/group'), 'utf8').split('\n').map(l => l.split(':'))
    const [userPart = '', groupPart] = (spec === '' ? 'root' : spec).split(':')
    const entry = passwd.find(f => f[0] === userPart) ?? passwd.find(f => f[2] === userPart)
    if (entry == null && !/^\d+$/.test(userPart)) {
      throw new ContainerError(`user ${userPart} is not in the image's /etc/passwd`)
    }
    const uid = Number(entry?.[2] ?? userPart)
    let gid = Number(entry?.[3] ?? uid)
    if (groupPart != null) {
      const g = group.find(f => f[0] === groupPart) ?? group.find(f => f[2] === groupPart)
      if (g == null && !/^\d+$/.test(groupPart)) {
        throw new ContainerError(`group ${groupPart} is not in the image's /etc/group`)
      }
      gid = Number(g?.[2] ?? groupPart)
    }
    const name = entry?.[0]
    const extra = name == null ? [] : group.filter(f => (f[3] ?? '').split(',').includes(name)).map(f => Number(f[2]))
    return { uid, gid, groups: [...new Set([gid, ...extra])], home: entry?.[5] ?? '/' }
  }

  /** The container environment: image ENV, then `env`, then PATH/HOME/HOSTNAME as Docker adds them */
  environment (user: ImageUser, env: Record<string, string> = {}): string[] {
    const vars = new Map<string, string>()
    for (const line of this.config.env) {
      const i = line.indexOf('=')
      vars.set(i < 0 ? line : line.slice(0, i), i < 0 ? '' : line.slice(i + 1))
    }
    for (const [k, v] of Object.entries(env)) {
      vars.set(k, v)
    }
    if (!vars.has('PATH')) {
      vars.set('PATH', DEFAULT_PATH)
    }
    if (!vars.has('HOME')) {
      vars.set('HOME', user.home)
    }
    if (!vars.has('HOSTNAME')) {
      vars.set('HOSTNAME', this.name.slice(-12))
    }
    return [...vars].map(([k, v]) => `${k}=${v}`)
  }

  /** ENTRYPOINT + CMD after `docker run` style overrides */
  argv (options: Pick<StartOptions, 'entrypoint' | 'cmd'> = {}): string[] {
    const entrypoint = options.entrypoint ?? this.config.entrypoint
    const cmd = options.cmd ?? (options.entrypoint != null ? [] : this.config.cmd)
    const argv = [...entrypoint, ...cmd]
    if (argv.length === 0) {
      throw new TypeError('nothing to run: no entrypoint and no cmd')
    }
    return argv
  }

  /** The host command line that runs `argv` as a new container (see the module comment) */
  command (options: StartOptions = {}): { file: string, args: string[] } {
    const user = this.resolveUser(options.user)
    const workdir = options.workdir ?? (this.config.workingDir === '' ? '/' : this.config.workingDir)
    const script = [
      'set -e',
      `r=${q(this.root)}`,
      'mount -t proc proc "$r/proc"',
      'mount --rbind /dev "$r/dev"',
      'mount --rbind /sys "$r/sys"',
      '[ -e "$r/etc/hosts" ] || : > "$r/etc/hosts"',
      `mount --bind ${q(this.hostsFile)} "$r/etc/hosts"`,
      ...(options.binds ?? []).flatMap(b => [
        `mkdir -p "$r"${q(b.target)}`,
        `mount --bind ${q(b.source)} "$r"${q(b.target)}`,
        ...(b.readOnly === true ? [`mount -o remount,bind,ro "$r"${q(b.target)}`] : [])
      ]),
      ['exec', 'chroot', `--userspec=${user.uid}:${user.gid}`, `--groups=${user.groups.join(',')}`, '"$r"',
        ...this.deathSignal(), '/usr/bin/env', '-i', '-C', q(workdir), ...this.environment(user, options.env).map(q), ...this.argv(options).map(q)].join(' ')
    ].join('\n')
    const inner = ['unshare', '--pid', '--fork', '--kill-child', '--mount', '--propagation', 'private', '--', 'sh', '-c', script]
    const inNs = options.ns != null ? ['ip', 'netns', 'exec', nsName(options.ns), ...inner] : inner
    return { file: 'setpriv', args: ['--pdeathsig', 'KILL', '--', ...inNs] }
  }

  /**
   * Changing uid clears the parent-death signal that `unshare --kill-child`
   * gave PID 1, so set it again as the image user, with the image's own
   * setpriv (util-linux; skipped if the image has none, then only the exit
   * hooks and cleanupStaleContainers() catch a SIGKILLed test process).
   */
  private deathSignal (): string[] {
    return existsSync(join(this.root, 'usr/bin/setpriv')) ? ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--'] : []
  }

  /** Start a container (a long-running child process) */
  start (options: StartOptions = {}): Container {
    if (this.closing != null) {
      throw new ContainerError('image was unmounted')
    }
    const { file, args } = this.command(options)
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? DEFAULT_PATH } })
    const container = new Container(this, child)
    this.containers.add(container)
    void container.exited.then(() => { this.containers.delete(container) })
    options.t?.after(async () => { await container.kill() })
    return container
  }

  /** Run a container to completion; killed after `timeout` ms (default 60 s) */
  async run (options: OneShotOptions = {}): Promise<RunResult> {
    const container = this.start(options)
    container.child.stdin?.end()
    return container.output.result(container.child.pid, options.timeout ?? 60_000)
  }

  /**
   * The image's HEALTHCHECK command, in a fresh process (as image user, env,
   * workdir) inside `ns`, so `localhost` is the relay's if the relay runs in
   * the same network namespace. Killed after the HEALTHCHECK's timeout. To
   * run it inside a running container, see Container.runHealthcheck().
   */
  async runHealthcheck (options: { ns?: InNamespace, timeout?: number } = {}): Promise<RunResult> {
    const hc = this.config.healthcheck
    if (hc == null) {
      throw new ContainerError(`image ${this.tag} has no HEALTHCHECK`)
    }
    return this.run({ entrypoint: healthcheckArgv(hc), ns: options.ns, timeout: options.timeout ?? hc.timeoutMs })
  }

  /** Kill every container, `podman umount` and `podman rm` (idempotent) */
  async close (): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.containers].map(async c => c.kill()))
      killProcessesInSync(this.root)
      try {
        await podman(['umount', this.name])
      } finally {
        await podman(['rm', '--force', '--volumes', this.name]).catch(() => '')
        await rm(join(this.hostsFile, '..'), { recursive: true, force: true })
        this.unregister()
      }
    })()
    return this.closing
  }
}

/** A running container: its host-side process, output, and PID 1 */
export class Container {
  readonly image: MountedImage
  /** setpriv → [ip netns exec →] unshare; the container's PID 1 is its child */
  readonly child: ChildProcess
  readonly output: Output
  readonly exited: Promise<Exit>
  private initPid: number | undefined

  constructor (image: MountedImage, child: ChildProcess) {
    this.image = image
    this.child = child
    this.output = new Output(child)
    this.exited = this.output.exited
    child.stdin?.on('error', () => {})
  }

  get stdout (): string {
    return this.output.stdout
  }

  get stderr (): string {
    return this.output.stderr
  }

  get exit (): Exit | undefined {
    return this.output.exit
  }

  /**
   * Host pid of the container's PID 1 (the entrypoint, e.g. tini), once it
   * runs inside the image's root. Rejects if the container exits first.
   */
  async init (timeout = 15_000): Promise<number> {
    if (this.initPid != null) {
      return this.initPid
    }
    const deadline = Date.now() + timeout
    const top = this.child.pid
    while (top != null && this.exit == null && Date.now() < deadline) {
      for (const pid of await processTree(top)) {
        const root = await readlink(`/proc/${pid}/root`).catch(() => '')
        if (root === this.image.root) {
          this.initPid = pid
          return pid
        }
      }
      await sleep(20)
    }
    throw new ContainerError(`container did not start within ${timeout} ms (${this.exit == null ? 'still starting' : `exited: code ${this.exit.code}, signal ${this.exit.signal}`})\n${this.diagnostics()}`)
  }

  /** Wait until stdout (or stderr) matches */
  async waitForOutput (pattern: RegExp, timeout = 30_000): Promise<void> {
    const deadline = Date.now() + timeout
    while (!pattern.test(this.stdout) && !pattern.test(this.stderr)) {
      if (this.exit != null) {
        throw new ContainerError(`container exited (code ${this.exit.code}, signal ${this.exit.signal}) before printing ${pattern}\n${this.diagnostics()}`)
      }
      if (Date.now() > deadline) {
        throw new ContainerError(`container did not print ${pattern} within ${timeout} ms\n${this.diagnostics()}`)
      }
      await sleep(50)
    }
  }

  /** Like `docker exec`: run argv inside this container's namespaces and root */
  async exec (argv: string[], options: ProcessOptions & { timeout?: number } = {}): Promise<RunResult> {
    const init = await this.init()
    const user = this.image.resolveUser(options.user)
    const workdir = options.workdir ?? (this.image.config.workingDir === '' ? '/' : this.image.config.workingDir)
    const args = [
      '--target', String(init), '--mount', '--pid', '--net', '--root', '--',
      '/usr/sbin/chroot', `--userspec=${user.uid}:${user.gid}`, `--groups=${user.groups.join(',')}`, '/',
      '/usr/bin/env', '-i', '-C', workdir, ...this.image.environment(user, options.env), ...argv
    ]
    const child = spawn('nsenter', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? DEFAULT_PATH } })
    const unregister = onExit(() => { child.kill('SIGKILL') })
    try {
      return await new Output(child).result(child.pid, options.timeout ?? 60_000)
    } finally {
      unregister()
    }
  }

  /** The image's HEALTHCHECK test run inside this container, killed after its timeout, as Docker does */
  async runHealthcheck (options: { timeout?: number } = {}): Promise<RunResult> {
    const hc = this.image.config.healthcheck
    if (hc == null) {
      throw new ContainerError(`image ${this.image.tag} has no HEALTHCHECK`)
    }
    return this.exec(healthcheckArgv(hc), { timeout: options.timeout ?? hc.timeoutMs })
  }

  /** Send a signal to the container's PID 1 (from outside, as `docker kill -s`) */
  async signal (signal: NodeJS.Signals): Promise<boolean> {
    if (this.exit != null) {
      return false
    }
    return signalPid(await this.init(), signal)
  }

  /**
   * Like `docker stop`: the image's STOPSIGNAL to PID 1, then SIGKILL after
   * `timeout` ms (default 10 s). Resolves with how it exited.
   */
  async stop (timeout = 10_000): Promise<Exit & { forced: boolean }> {
    if (this.exit != null) {
      return { ...this.exit, forced: false }
    }
    await this.signal(this.image.config.stopSignal as NodeJS.Signals)
    const timer = new AbortController()
    const expired = sleep(timeout, undefined, { signal: timer.signal }).catch(() => undefined)
    const exit = await Promise.race([this.exited, expired])
    timer.abort()
    if (exit != null) {
      return { ...exit, forced: false }
    }
    return { ...await this.kill(), forced: true }
  }

  /** SIGKILL the container (its pid namespace dies with PID 1) and wait for the exit */
  async kill (): Promise<Exit> {
    if (this.exit == null && this.child.pid != null) {
      await killTree(this.child.pid)
    }
    return this.exited
  }

  /** For exit hooks: kill without waiting (--kill-child takes PID 1 along) */
  killSync (): void {
    if (this.exit == null) {
      this.child.kill('SIGKILL')
    }
  }

  diagnostics (chars = 4000): string {
    const status = this.exit == null ? `running (host pid ${this.child.pid})` : `exited (code ${this.exit.code}, signal ${this.exit.signal})`
    return [
      `  container from ${this.image.tag}: ${status}`,
      `  stdout (tail):\n${this.stdout === '' ? '    (empty)' : this.stdout.slice(-chars).replace(/^/gm, '    ')}`,
      `  stderr (tail):\n${this.stderr === '' ? '    (empty)' : this.stderr.slice(-chars).replace(/^/gm, '    ')}`
    ].join('\n')
  }
}

/**
 * Remove containers (and their mounts) left by earlier test runs whose
 * process is gone. Resolves with the names removed.
 */
export async function cleanupStaleContainers (): Promise<string[]> {
  const out = await podman(['ps', '--all', '--filter', `label=${CONTAINER_LABEL}`, '--format', '{{.Names}}'])
  const removed: string[] = []
  for (const name of out.split('\n').filter(n => n !== '')) {
    const match = new RegExp(`^${CONTAINER_PREFIX}-([0-9a-z]+)-`).exec(name)
    const pid = parseInt(match?.[1] ?? '', 36)
    if (pid === process.pid || (Number.isSafeInteger(pid) && alive(pid))) {
      continue
    }
    const root = (await podman(['inspect', '--format', '{{.GraphDriver.Data.MergedDir}}', name]).catch(() => '')).trim()
    if (root !== '') {
      killProcessesInSync(root)
    }
    await podman(['umount', name]).catch(() => '')
    await podman(['rm', '--force', '--volumes', name]).catch(() => '')
    removed.push(name)
  }
  return removed
}

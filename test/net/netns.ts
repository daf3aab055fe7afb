/**
 * Network topologies for integration tests, built from Linux network
 * namespaces with `ip`, `sysctl` and `iptables`.
 *
 * Every host, bridge and router is its own namespace, named
 * `<prefix>-<pid36>-<rand>-<label>`: the pid of the test process (base 36)
 * and a random part make names unique per run, so parallel runs never
 * collide and `cleanupStale()` can tell a dead run's leftovers from a live
 * run's namespaces. Interfaces are created directly inside their namespaces
 * (`eth0`, `br0`, `v1-alice`, all within the 15 character limit) and never
 * touch the root namespace, so deleting the namespaces removes everything.
 *
 * Addresses are 10.77.x.y style, and exist only inside these namespaces.
 */
import { execFile, execFileSync, spawn } from 'node:child_process'
import type { ChildProcess, SpawnOptions } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { onExit } from '../helpers/cleanup.ts'

const execFileAsync = promisify(execFile)

export const DEFAULT_PREFIX = 'sct'

/** Longest interface name Linux accepts (IFNAMSIZ - 1) */
export const IFNAME_MAX = 15

/** A command run by this module failed; `stderr` holds its diagnostics */
export class CommandError extends Error {
  static override name = 'CommandError'
  override name = 'CommandError'
  readonly command: string
  readonly stderr: string

  constructor (command: string, stderr: string, options?: ErrorOptions) {
    super(`command failed: ${command}${stderr === '' ? '' : `: ${stderr.trim()}`}`, options)
    this.command = command
    this.stderr = stderr
  }
}

/** A string property of a caught value, if it has one */
function field (err: unknown, key: string): string | undefined {
  const value: unknown = typeof err === 'object' && err != null ? (err as Record<string, unknown>)[key] : undefined
  if (typeof value === 'string') {
    return value
  }
  return Buffer.isBuffer(value) ? value.toString('utf8') : undefined
}

export interface RunOptions {
  signal?: AbortSignal
  /** milliseconds; default 30 s */
  timeout?: number
}

/** Run a command (not in a namespace) and resolve with its stdout */
export async function run (cmd: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, args, {
      signal: options.signal,
      timeout: options.timeout ?? 30_000,
      encoding: 'utf8'
    })
    return stdout
  } catch (err) {
    throw new CommandError([cmd, ...args].join(' '), field(err, 'stderr') ?? field(err, 'message') ?? '', { cause: err })
  }
}

/** Something that lives in a namespace: its name or an object holding it */
export type InNamespace = string | { readonly ns: string }

function nsName (where: InNamespace): string {
  return typeof where === 'string' ? where : where.ns
}

/** Run a command inside a namespace and resolve with its stdout */
export async function runIn (where: InNamespace, cmd: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return run('ip', ['netns', 'exec', nsName(where), cmd, ...args], options)
}

/**
 * Start a command inside a namespace (`ip netns exec NS cmd ...`). `ip` execs
 * the command, so the child's pid is the command's own.
 */
export function spawnIn (where: InNamespace, cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return spawn('ip', ['netns', 'exec', nsName(where), cmd, ...args], options)
}

export async function sysctl (where: InNamespace, key: string, value: string | number): Promise<void> {
  await runIn(where, 'sysctl', ['-q', '-w', `${key}=${value}`])
}

/** Names of all network namespaces on this machine */
export async function listNamespaces (): Promise<string[]> {
  const out = await run('ip', ['netns', 'list'])
  return out.split('\n').map(line => line.split(' ')[0] ?? '').filter(name => name !== '')
}

function pidsInSync (ns: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n').filter(s => s !== '').map(Number)
  } catch {
    return []
  }
}

/**
 * Kill whatever still runs inside `ns`, then delete it. Synchronous so that
 * exit and signal handlers can use it. Returns false if it was already gone.
 */
function deleteNamespaceSync (ns: string): boolean {
  for (const pid of pidsInSync(ns)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // exited meanwhile
    }
  }
  try {
    execFileSync('ip', ['netns', 'delete', ns], { stdio: ['ignore', 'ignore', 'pipe'] })
    return true
  } catch (err) {
    const stderr = field(err, 'stderr') ?? ''
    if (/No such file|not found|Invalid argument/i.test(stderr)) {
      return false
    }
    throw new CommandError(`ip netns delete ${ns}`, stderr, { cause: err })
  }
}

function processAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return field(err, 'code') === 'EPERM'
  }
}

const NAME_RE = /^([a-z][a-z0-9]*)-([0-9a-z]+)-([0-9a-z]+)-/

/**
 * Delete the namespaces (and kill their processes) left by earlier runs with
 * this prefix whose test process is gone. Namespaces of live runs, including
 * this one, are kept. Resolves with the names deleted.
 */
export async function cleanupStale (prefix = DEFAULT_PREFIX): Promise<string[]> {
  const deleted: string[] = []
  for (const ns of await listNamespaces()) {
    const match = NAME_RE.exec(ns)
    if (match?.[1] !== prefix) {
      continue
    }
    const pid = parseInt(match[2] ?? '', 36)
    if (pid === process.pid || (Number.isSafeInteger(pid) && processAlive(pid))) {
      continue
    }
    if (deleteNamespaceSync(ns)) {
      deleted.push(ns)
    }
  }
  return deleted
}

export type NetnsAvailability = { available: true } | { available: false, reason: string }

let availability: Promise<NetnsAvailability> | undefined

async function probe (tools: readonly string[]): Promise<NetnsAvailability> {
  if (process.platform !== 'linux') {
    return { available: false, reason: `network namespaces need Linux, this is ${process.platform}` }
  }
  if (process.getuid?.() !== 0) {
    return { available: false, reason: 'network namespaces need root' }
  }
  for (const tool of tools) {
    try {
      await run(tool, tool === 'ip' || tool === 'ping' ? ['-V'] : ['--version'])
    } catch {
      return { available: false, reason: `\`${tool}\` is not installed` }
    }
  }
  const ns = `${DEFAULT_PREFIX}-${process.pid.toString(36)}-${randomBytes(3).toString('hex')}-probe`
  try {
    await run('ip', ['netns', 'add', ns])
  } catch (err) {
    return { available: false, reason: `cannot create a network namespace: ${field(err, 'message')}` }
  }
  deleteNamespaceSync(ns)
  return { available: true }
}

/**
 * Whether this process can build topologies: Linux, root, `ip`, `sysctl`,
 * `iptables` and `ping` present, and a namespace can really be created.
 */
export async function netnsAvailable (): Promise<NetnsAvailability> {
  availability ??= probe(['ip', 'sysctl', 'iptables', 'ping'])
  return availability
}

/**
 * For `test(name, { skip: await netnsSkip() }, ...)`: false when topologies
 * can be built, else the reason. Under CI (CI=true) a missing capability is
 * an error, not a skip: CI runs as root and must run these tests.
 */
export async function netnsSkip (): Promise<false | string> {
  const result = await netnsAvailable()
  if (result.available) {
    return false
  }
  if (process.env.CI != null && process.env.CI !== '' && process.env.CI !== 'false') {
    throw new Error(`network namespace tests cannot run in CI: ${result.reason}`)
  }
  return `network namespace tests skipped: ${result.reason}`
}

/** One end of a veth pair */
export interface Link {
  readonly ns: string
  readonly iface: string
}

export interface Bridge {
  readonly label: string
  /** the namespace that holds the bridge device */
  readonly ns: string
  readonly device: string
  /** e.g. '10.77.1.0/24' */
  readonly subnet: string
}

/** An interface of a namespace, joined to a bridge */
export interface Port {
  readonly ns: string
  readonly iface: string
  readonly ip: string
  readonly prefixLength: number
  readonly bridge: Bridge
  /** the bridge side of the veth pair: set it down to pull the cable */
  readonly link: Link
}

/** A single-homed host */
export interface Host extends Port {
  readonly label: string
}

export interface Router {
  readonly label: string
  readonly ns: string
  /** the inside interface; hosts behind the router route through its ip */
  readonly lan: Port
  /** the outside interface; masqueraded traffic leaves with its ip */
  readonly wan: Port
}

export interface TopologyOptions {
  /** namespace name prefix, lower-case letters and digits; default 'sct' */
  prefix?: string
  /**
   * Register `destroy()` as an after hook: pass the TestContext (`t`) or an
   * object with node:test's `after`.
   */
  t?: { after: (fn: () => unknown) => void }
}

export interface BridgeOptions {
  /** an IPv4 network, e.g. '10.77.1.0/24'; default 10.77.<n>.0/24 */
  subnet?: string
  /** IGMP snooping on the bridge; default false (flood all multicast) */
  multicastSnooping?: boolean
}

export interface HostOptions {
  bridge: Bridge
  /** address on the bridge's subnet; default the next free .10, .11, ... */
  ip?: string
  /** default route via this address (a router's lan ip) */
  gateway?: string
  /**
   * Add `224.0.0.0/4 dev <iface>` so multicast (mDNS) can be sent without a
   * default route; default true when there is no gateway.
   */
  multicastRoute?: boolean
}

export interface RouterOptions {
  lan: Bridge
  wan: Bridge
  /** default the lan subnet's .1 */
  lanIp?: string
  /** default the next free address of the wan subnet */
  wanIp?: string
  /** default route out of the wan side, for routers behind routers */
  gateway?: string
  /** masquerade what leaves on the wan side; default true */
  masquerade?: boolean
}

const LABEL_RE = /^[a-z][a-z0-9]{0,15}$/

function ipToInt (ip: string): number {
  const parts = ip.split('.').map(Number)
  if (parts.length !== 4 || parts.some(p => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new TypeError(`not an IPv4 address: ${ip}`)
  }
  return parts.reduce((acc, p) => acc * 256 + p, 0)
}

function intToIp (n: number): string {
  return [24, 16, 8, 0].map(shift => Math.floor(n / 2 ** shift) % 256).join('.')
}

function parseSubnet (subnet: string): { base: number, prefixLength: number } {
  const [ip = '', len = ''] = subnet.split('/')
  const prefixLength = Number(len)
  if (!Number.isInteger(prefixLength) || prefixLength < 8 || prefixLength > 30) {
    throw new TypeError(`not an IPv4 subnet: ${subnet}`)
  }
  const size = 2 ** (32 - prefixLength)
  return { base: ipToInt(ip) - (ipToInt(ip) % size), prefixLength }
}

const live = new Set<Topology>()

/**
 * The namespaces, bridges, hosts and routers of one test. Everything it
 * creates is recorded, and `destroy()` deletes all of it (idempotent). Also
 * deleted at process exit or on SIGINT/SIGTERM if the test never got there.
 */
export class Topology {
  readonly prefix: string
  /** `<prefix>-<pid36>-<rand>`, the start of every namespace name */
  readonly id: string
  private readonly namespaces: string[] = []
  private readonly nextIface = new Map<string, number>()
  private readonly nextAddress = new Map<Bridge, number>()
  private readonly used = new Set<string>()
  private subnets = 0
  private destroying: Promise<void> | undefined
  private readonly unregister: () => void

  private constructor (prefix: string) {
    if (!/^[a-z][a-z0-9]*$/.test(prefix)) {
      throw new TypeError(`prefix must be lower-case letters and digits: ${prefix}`)
    }
    this.prefix = prefix
    this.id = `${prefix}-${process.pid.toString(36)}-${randomBytes(3).toString('hex')}`
    this.unregister = onExit(() => { this.destroySync() })
    live.add(this)
  }

  static create (options: TopologyOptions = {}): Topology {
    const topology = new Topology(options.prefix ?? DEFAULT_PREFIX)
    options.t?.after(async () => { await topology.destroy() })
    return topology
  }

  /** Names of the namespaces created so far */
  get names (): readonly string[] {
    return [...this.namespaces]
  }

  /** Create an empty namespace with `lo` up */
  async addNamespace (label: string): Promise<string> {
    if (this.destroying != null) {
      throw new Error('topology was destroyed')
    }
    if (!LABEL_RE.test(label)) {
      throw new TypeError(`label must be 1-16 lower-case letters and digits: ${label}`)
    }
    const ns = `${this.id}-${label}`
    if (this.namespaces.includes(ns)) {
      throw new TypeError(`label already used: ${label}`)
    }
    await run('ip', ['netns', 'add', ns])
    this.namespaces.push(ns)
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    return ns
  }

  /** A namespace holding one bridge device `br0` */
  async addBridge (label: string, options: BridgeOptions = {}): Promise<Bridge> {
    const subnet = options.subnet ?? `10.77.${++this.subnets}.0/24`
    parseSubnet(subnet)
    const ns = await this.addNamespace(label)
    const device = 'br0'
    await run('ip', ['-n', ns, 'link', 'add', device, 'type', 'bridge',
      'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', options.multicastSnooping === true ? '1' : '0'])
    await run('ip', ['-n', ns, 'link', 'set', device, 'up'])
    return { label, ns, device, subnet }
  }

  /** A namespace with one interface `eth0` on `bridge` */
  async addHost (label: string, options: HostOptions): Promise<Host> {
    const ns = await this.addNamespace(label)
    const port = await this.attach(ns, options.bridge, { ip: options.ip, label })
    if (options.gateway != null) {
      await run('ip', ['-n', ns, 'route', 'add', 'default', 'via', options.gateway, 'dev', port.iface])
    }
    if (options.multicastRoute ?? options.gateway == null) {
      await run('ip', ['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', port.iface])
    }
    return { ...port, label }
  }

  /**
   * A router namespace: `eth0` on the lan bridge, `eth1` on the wan bridge,
   * forwarding on, and (by default) masquerading what leaves through `eth1`.
   */
  async addRouter (label: string, options: RouterOptions): Promise<Router> {
    const ns = await this.addNamespace(label)
    const lanIp = options.lanIp ?? intToIp(parseSubnet(options.lan.subnet).base + 1)
    const lan = await this.attach(ns, options.lan, { ip: lanIp, label })
    const wan = await this.attach(ns, options.wan, { ip: options.wanIp, label })
    await sysctl(ns, 'net.ipv4.ip_forward', 1)
    if (options.gateway != null) {
      await run('ip', ['-n', ns, 'route', 'add', 'default', 'via', options.gateway, 'dev', wan.iface])
    }
    if (options.masquerade ?? true) {
      await runIn(ns, 'iptables', ['-t', 'nat', '-A', 'POSTROUTING', '-o', wan.iface, '-j', 'MASQUERADE'])
    }
    return { label, ns, lan, wan }
  }

  /**
   * Join namespace `ns` to `bridge` with a new veth pair: `eth<n>` in `ns`
   * (with the address, up) and `v<n>-<label>` on the bridge.
   */
  async attach (ns: string, bridge: Bridge, options: { ip?: string, label?: string } = {}): Promise<Port> {
    const { base, prefixLength } = parseSubnet(bridge.subnet)
    let ip = options.ip
    if (ip == null) {
      const next = this.nextAddress.get(bridge) ?? 10
      this.nextAddress.set(bridge, next + 1)
      ip = intToIp(base + next)
    }
    if (ipToInt(ip) - (ipToInt(ip) % 2 ** (32 - prefixLength)) !== base) {
      throw new TypeError(`${ip} is not in ${bridge.subnet}`)
    }
    if (this.used.has(ip)) {
      throw new TypeError(`address already used: ${ip}`)
    }
    this.used.add(ip)

    const n = this.nextIface.get(ns) ?? 0
    this.nextIface.set(ns, n + 1)
    const iface = `eth${n}`
    const b = (this.nextIface.get(bridge.ns) ?? 1)
    this.nextIface.set(bridge.ns, b + 1)
    const peer = `v${b}-${options.label ?? 'x'}`.slice(0, IFNAME_MAX)

    // created inside the bridge namespace, the other end moved straight into
    // `ns`: nothing ever exists in the root namespace
    await run('ip', ['-n', bridge.ns, 'link', 'add', peer, 'type', 'veth', 'peer', 'name', iface, 'netns', ns])
    await run('ip', ['-n', bridge.ns, 'link', 'set', peer, 'master', bridge.device, 'up'])
    await run('ip', ['-n', ns, 'addr', 'add', `${ip}/${prefixLength}`, 'dev', iface])
    await run('ip', ['-n', ns, 'link', 'set', iface, 'up'])
    return { ns, iface, ip, prefixLength, bridge, link: { ns: bridge.ns, iface: peer } }
  }

  /**
   * Set a link down or up. Given a host or port, acts on the bridge side of
   * its cable: the host keeps its addresses and routes and just loses carrier,
   * like a pulled cable, and `up` restores it exactly.
   */
  async setLink (target: Port | Link, state: 'up' | 'down'): Promise<void> {
    const link = 'link' in target ? target.link : target
    await run('ip', ['-n', link.ns, 'link', 'set', link.iface, state])
  }

  /** Run a command in a namespace of this topology; resolves with stdout */
  async run (where: InNamespace, cmd: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
    return runIn(where, cmd, args, options)
  }

  /** Start a command in a namespace of this topology */
  spawn (where: InNamespace, cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    return spawnIn(where, cmd, args, options)
  }

  /**
   * Kill what still runs in the namespaces and delete them (which removes
   * their interfaces). Safe to call more than once.
   */
  async destroy (): Promise<void> {
    this.destroying ??= Promise.resolve().then(() => { this.destroySync() })
    return this.destroying
  }

  private destroySync (): void {
    this.destroying ??= Promise.resolve()
    const errors: unknown[] = []
    for (const ns of [...this.namespaces].reverse()) {
      try {
        deleteNamespaceSync(ns)
        this.namespaces.splice(this.namespaces.indexOf(ns), 1)
      } catch (err) {
        errors.push(err)
      }
    }
    this.unregister()
    live.delete(this)
    if (errors.length > 0) {
      throw new AggregateError(errors, `could not delete all namespaces of ${this.id}`)
    }
  }
}

/** Topologies not destroyed yet (for diagnostics) */
export function liveTopologies (): readonly Topology[] {
  return [...live]
}

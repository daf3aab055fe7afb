import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import fc from 'fast-check'
import { lanAddrs, MAX_LAN_ADDRS } from '../../src/discovery/lan.ts'
import type { Subnet } from '../../src/discovery/lan.ts'

const ip = (s: string): number => s.split('.').reduce((n, p) => n * 256 + Number(p), 0)
/** 10.77.0.0/24 and 192.168.1.0/24 */
const SUBNETS: Subnet[] = [
  { address: ip('10.77.0.10'), netmask: ip('255.255.255.0') },
  { address: ip('192.168.1.20'), netmask: ip('255.255.255.0') }
]
const ID = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'

describe('LAN address filter for mDNS announcements', () => {
  it('keeps addresses on our subnets and IPv6 link-local, drops everything else', () => {
    const kept = lanAddrs([
      multiaddr(`/ip4/10.77.0.11/tcp/4001/p2p/${ID}`),
      multiaddr('/ip4/192.168.1.200/tcp/4001'),
      multiaddr('/ip6/fe80::1/tcp/4001'),
      multiaddr('/ip4/10.77.1.11/tcp/4001'),
      multiaddr('/ip4/127.0.0.1/tcp/22'),
      multiaddr('/ip4/0.0.0.0/tcp/4001'),
      multiaddr('/ip4/8.8.8.8/tcp/4001'),
      multiaddr('/ip4/198.51.100.7/tcp/4001'),
      multiaddr('/ip6/::1/tcp/4001'),
      multiaddr('/ip6/2001:db8::1/tcp/4001'),
      multiaddr(`/ip4/10.77.0.1/tcp/4001/p2p/${ID}/p2p-circuit`),
      multiaddr('/dns4/example.com/tcp/4001')
    ], SUBNETS).map(ma => ma.toString())
    assert.deepEqual(kept, [`/ip4/10.77.0.11/tcp/4001/p2p/${ID}`, '/ip4/192.168.1.200/tcp/4001', '/ip6/fe80::1/tcp/4001'])
  })

  it(`keeps at most ${MAX_LAN_ADDRS} per peer`, () => {
    const many = Array.from({ length: 20 }, (_, i) => multiaddr(`/ip4/10.77.0.${i + 1}/tcp/4001`))
    assert.equal(lanAddrs(many, SUBNETS).length, MAX_LAN_ADDRS)
  })

  it('never keeps an IPv4 address outside our subnets (property)', () => {
    fc.assert(fc.property(fc.ipV4(), (addr) => {
      const inSubnet = addr.startsWith('10.77.0.') || addr.startsWith('192.168.1.')
      assert.equal(lanAddrs([multiaddr(`/ip4/${addr}/tcp/1`)], SUBNETS).length, inSubnet ? 1 : 0)
    }), { numRuns: 2000 })
  })

  it('keeps nothing without subnets', () => {
    assert.deepEqual(lanAddrs([multiaddr('/ip4/10.77.0.11/tcp/4001')], []), [])
  })
})

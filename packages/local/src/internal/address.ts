/**
 * What a listening address means to someone trying to reach the server: loopback only, every address of the
 * machine, or one address.
 */
import * as Net from "node:net"
import * as Os from "node:os"

/**
 * Whether only this machine can connect: `localhost`, 127.0.0.0/8 or `::1`.
 *
 * @internal
 */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || /^(::ffff:)?127\.\d+\.\d+\.\d+$/i.test(host)

/**
 * Whether the address stands for every address of the machine: `0.0.0.0`, or `::` (IPv6 and, on a dual-stack system,
 * IPv4 as well).
 *
 * @internal
 */
export const isWildcard = (host: string): boolean => Net.isIP(host) !== 0 && /^[0.:]+$/.test(host)

/**
 * The host as it is written in a URL: IPv6 addresses in brackets.
 *
 * @internal
 */
export const urlHost = (host: string): string => host.includes(":") ? `[${host}]` : host

/**
 * The URLs other machines may use to reach a server bound to a wildcard address: one per address of a network
 * interface that is not loopback (IPv6 link-local addresses left out: they need a zone to be usable).
 *
 * @internal
 */
export const networkUrls = (host: string, port: number): Array<string> => {
  const families = Net.isIPv4(host) ? ["IPv4"] : ["IPv4", "IPv6"]
  const urls: Array<string> = []
  for (const addresses of Object.values(Os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.internal || !families.includes(address.family)) continue
      if (address.family === "IPv6" && /^fe[89ab]/i.test(address.address)) continue
      urls.push(`http://${urlHost(address.address)}:${port}`)
    }
  }
  return urls
}

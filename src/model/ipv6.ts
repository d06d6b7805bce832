/** IPv6 address parsing: static addresses, gateways and nameservers, compared in the kernel's spelling. */
import { InvalidRequest } from '../runtime/errors.js';

/**
 * The RFC 5952 form (lower case, longest zero run as "::") that `ip` prints,
 * so that plans compare equal. The WHATWG URL parser both checks an IPv6 host
 * strictly and serialises it that way (and, unlike node:net, costs no module
 * load at start-up); the character check keeps out zone ids and anything else
 * a URL host would take.
 */
export function checkIPv6(subject: string, attr: string, text: string): string {
  const trimmed = text.trim();
  if (/^[\da-fA-F:.]+$/.test(trimmed)) {
    try {
      return new URL(`http://[${trimmed}]/`).hostname.slice(1, -1);
    } catch {
      // not an IPv6 address: refused below
    }
  }
  throw new InvalidRequest(subject, `${attr}: ${JSON.stringify(text)} is not an IPv6 address`);
}

/** "addr/prefix" as VDSM takes ipv6addr; the prefix is required. */
export function checkIPv6Cidr(subject: string, attr: string, text: string): { address: string; prefix: number } {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m || Number(m[2]) > 128) {
    throw new InvalidRequest(subject, `${attr}: ${JSON.stringify(text)} is not an IPv6 address with a /prefix (0-128)`);
  }
  return { address: checkIPv6(subject, attr, m[1]!), prefix: Number(m[2]) };
}

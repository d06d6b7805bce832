/** IPv6 address parsing: static addresses, gateways and nameservers, compared in the kernel's spelling. */
import { isIPv6 } from 'node:net';
import { InvalidRequest } from './errors.js';

/** The RFC 5952 form (lower case, longest zero run as "::") that `ip` prints, so that plans compare equal. */
export function checkIPv6(subject: string, attr: string, text: string): string {
  const trimmed = text.trim();
  if (!isIPv6(trimmed) || trimmed.includes('%')) {
    throw new InvalidRequest(subject, `${attr}: ${JSON.stringify(text)} is not an IPv6 address`);
  }
  // the WHATWG URL parser serialises IPv6 hosts exactly per RFC 5952
  return new URL(`http://[${trimmed}]/`).hostname.slice(1, -1);
}

/** "addr/prefix" as VDSM takes ipv6addr; the prefix is required. */
export function checkIPv6Cidr(subject: string, attr: string, text: string): { address: string; prefix: number } {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m || Number(m[2]) > 128) {
    throw new InvalidRequest(subject, `${attr}: ${JSON.stringify(text)} is not an IPv6 address with a /prefix (0-128)`);
  }
  return { address: checkIPv6(subject, attr, m[1]!), prefix: Number(m[2]) };
}

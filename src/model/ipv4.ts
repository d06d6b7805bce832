/** IPv4 address, netmask and prefix parsing for static addresses. */
import { InvalidRequest } from '../runtime/errors.js';

function octets(text: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

export function checkIPv4(subject: string, attr: string, text: string): string {
  const parts = octets(text);
  if (!parts) throw new InvalidRequest(subject, `${attr}: ${JSON.stringify(text)} is not an IPv4 address`);
  return parts.join('.');
}

export function netmaskToPrefix(subject: string, attr: string, text: string): number {
  const parts = octets(text);
  if (parts) {
    const bits = parts.map((p) => p.toString(2).padStart(8, '0')).join('');
    if (/^1*0*$/.test(bits)) return bits.indexOf('0') === -1 ? 32 : bits.indexOf('0');
  }
  throw new InvalidRequest(subject, `${attr}: ${JSON.stringify(text)} is not a contiguous IPv4 netmask`);
}

export function prefixToNetmask(prefix: number): string {
  const bits = '1'.repeat(prefix).padEnd(32, '0');
  return [0, 8, 16, 24].map((i) => parseInt(bits.slice(i, i + 8), 2)).join('.');
}

/** The subnet of an address, "a.b.c.0/len". */
export function subnetOf(address: string, prefix: number): string {
  const n = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((shift) => (net >>> shift) & 255).join('.')}/${prefix}`;
}

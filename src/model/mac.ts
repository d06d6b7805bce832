/** Ethernet addresses as a request gives them (a bond's hwaddr) and as OVS takes them. */
import { InvalidRequest } from '../runtime/errors.js';

/**
 * A unicast MAC address, lower case, colon-separated. A multicast or all-zero
 * address is refused: no device may take it, and OVS would reject it only
 * after the transaction had started.
 */
export function checkMac(subject: string, attr: string, text: string): string {
  const mac = text.trim().toLowerCase();
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) {
    throw new InvalidRequest(subject, `${attr}: ${JSON.stringify(text)} is not a MAC address (xx:xx:xx:xx:xx:xx)`);
  }
  if (parseInt(mac.slice(0, 2), 16) & 1) throw new InvalidRequest(subject, `${attr}: ${mac} is a multicast address`);
  if (mac === '00:00:00:00:00:00') throw new InvalidRequest(subject, `${attr}: ${mac} is not a usable address`);
  return mac;
}

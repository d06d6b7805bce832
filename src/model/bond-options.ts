/**
 * VDSM bond option strings: "mode=4 miimon=100 custom=ovs:True,ovs_mode:balance-tcp".
 * `custom` is a pseudo option VDSM never writes to sysfs; the hook reads its
 * sub-options in both spellings VDSM has used: "ovs=True,..." (2015) and
 * "ovs:True,..." (2016 on, because the Engine forbids a second "=").
 */
import { InvalidRequest } from '../runtime/errors.js';

export interface BondOptions {
  kernel: Record<string, string>;
  custom: Record<string, string>;
}

export function parseBondOptions(subject: string, text: string | undefined): BondOptions {
  const { custom = '', ...kernel } = rawBondOptions(subject, text);
  return { kernel, custom: parseCustom(subject, custom) };
}

/** The options as key -> value, `custom` kept as one string (as caps report them). */
export function rawBondOptions(subject: string, text: string | undefined): Record<string, string> {
  const options: Record<string, string> = {};
  const trimmed = (text ?? '').trim();
  if (trimmed === '') return options;
  for (const item of trimmed.split(/\s+/)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new InvalidRequest(subject, `options: "${item}" is not key=value`);
    options[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return options;
}

function parseCustom(subject: string, value: string): Record<string, string> {
  const custom: Record<string, string> = {};
  for (const piece of value.split(',').filter((p) => p !== '')) {
    // the first ":" or "=" separates key from value, whichever comes first
    const sep = piece.search(/[:=]/);
    if (sep <= 0) throw new InvalidRequest(subject, `options: custom item "${piece}" is not key:value`);
    custom[piece.slice(0, sep)] = piece.slice(sep + 1);
  }
  return custom;
}

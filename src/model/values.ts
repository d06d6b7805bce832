/**
 * Coercion of request values. VDSM hands the hook either the Engine's raw
 * strings ("true", "100", "yes") or its own canonical values (booleans,
 * integers); both are accepted and checked here, once, at the edge.
 */
import { InvalidRequest } from '../runtime/errors.js';

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0', '']);

export function toBool(subject: string, attr: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' && (value === 0 || value === 1)) return value === 1;
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  throw new InvalidRequest(subject, `${attr}: ${JSON.stringify(value)} is not a boolean (true/false/yes/no/on/off/1/0)`);
}

export function toInt(subject: string, attr: string, value: unknown, min: number, max: number): number {
  let n: number | undefined;
  if (typeof value === 'number' && Number.isInteger(value)) n = value;
  else if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) n = Number(value);
  if (n === undefined || n < min || n > max) {
    throw new InvalidRequest(subject, `${attr}: ${JSON.stringify(value)} is not an integer in ${min}-${max}`);
  }
  return n;
}

export function toStr(subject: string, attr: string, value: unknown): string {
  if (typeof value === 'string') return value;
  throw new InvalidRequest(subject, `${attr}: ${JSON.stringify(value)} is not a string`);
}

/** An absent attribute: missing, null, or the empty string the Engine sends for "unset". */
export function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

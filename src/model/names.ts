/**
 * Names that end up as Linux interface names, ovs-vsctl arguments and file
 * names. Linux rules (dev_valid_name): 1-15 bytes, not "." or "..", no "/",
 * ":" or whitespace; a leading "-" would read as an option on a command line.
 */
import { InvalidRequest } from '../runtime/errors.js';

const IFNAMSIZ = 16;

export function ifaceNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (Buffer.byteLength(name) > IFNAMSIZ - 1) return `is longer than ${IFNAMSIZ - 1} characters`;
  if (name === '.' || name === '..') return 'is not a valid interface name';
  if (/[/:\s]/.test(name)) return 'contains "/", ":" or whitespace';
  if (name.startsWith('-')) return 'starts with "-"';
  if (!/^[\x21-\x7e]+$/.test(name)) return 'contains non-printable or non-ASCII characters';
  return undefined;
}

export function checkIfaceName(subject: string, attr: string, name: string): string {
  const problem = ifaceNameProblem(name);
  if (problem) throw new InvalidRequest(subject, `${attr}: ${JSON.stringify(name)} ${problem}`);
  return name;
}

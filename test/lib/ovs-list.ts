/**
 * `ovs-vsctl list` of the hook's tables: an independent reading of the OVS
 * DB, for tests that check the hook's own reads against what OVS's main
 * tool prints (the hook reads with selects: ovsdb-server's socket, or
 * ovsdb-client query through sudo).
 */
import { OvsError } from '../../src/runtime/errors.js';
import { OVS_TABLES } from '../../src/ovs/state.js';
import type { Row } from '../../src/ovs/vsctl.js';

/** `ovs-vsctl list` of the hook's tables and columns as one command. */
export const LIST_ARGS: readonly string[] = ['--format=json', '--data=json',
  ...OVS_TABLES.flatMap((t, i) => [...(i ? ['--'] : []), `--columns=${t.columns.join(',')}`, 'list', t.table])];

/** `ovs-vsctl --format=json list` prints each table as {headings, data} on a line of its own. */
export function rowsOfList(text: string, tables: number): Row[][] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== tables) throw new OvsError('ovs-vsctl', `expected ${tables} tables, got ${lines.length}`);
  return lines.map((line) => {
    const { headings, data } = JSON.parse(line) as { headings: string[]; data: unknown[][] };
    return data.map((values) => {
      const row: Row = {};
      headings.forEach((h, i) => (row[h] = values[i]));
      return row;
    });
  });
}

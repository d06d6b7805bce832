import t from 'tap';
import { checkIfaceName, ifaceNameProblem } from '../../../src/model/names.js';
import { assertInvalid } from '../fixtures/invalid.js';

t.test('valid Linux interface names are accepted as they are', async (t) => {
  for (const name of ['eth1', 'ovsmgmt', 'vmnet100', 'bond0', 'a', 'x'.repeat(15), 'br-int', 'ovsbr_2', 'net.100']) {
    t.equal(ifaceNameProblem(name), undefined, `${name} is fine`);
    t.equal(checkIfaceName("network 'n'", 'name', name), name);
  }
});

t.test('names the kernel or a command line would refuse', async (t) => {
  const bad = {
    empty: '',
    '16 characters': 'x'.repeat(16),
    slash: 'red/blue',
    colon: 'eth1:1',
    space: 'red net',
    tab: 'red\tnet',
    newline: 'red\n',
    'leading dash': '-red',
    dot: '.',
    'dot dot': '..',
    'non-ASCII': 'rød',
  };
  for (const [why, name] of Object.entries(bad)) {
    t.type(ifaceNameProblem(name), 'string', `${why}: a problem is reported`);
    assertInvalid(t, () => checkIfaceName("network 'n'", 'nic', name), "network 'n'", 'nic');
  }
});

t.test('the 15-byte limit counts bytes, not characters', async (t) => {
  // 8 two-byte characters: 8 characters, 16 bytes
  t.type(ifaceNameProblem('é'.repeat(8)), 'string');
});

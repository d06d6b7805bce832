/**
 * The vdsm user and kvm group VDSM runs its report and device hooks as:
 * made when the machine has none and removed at teardown. A user left by an
 * earlier crashed run is recognised by its comment and removed too.
 */
import { execa } from 'execa';

const TEST_USER_MARK = 'vdsm-hook-ovs test user';

export interface VdsmUser {
  uid: number;
  gid: number;
}

export async function vdsmUser(t: { teardown(fn: () => unknown): void }): Promise<VdsmUser> {
  const id = async (...args: string[]) => (await execa('id', args, { reject: false })).stdout;
  const hasGroup = (await execa('getent', ['group', 'kvm'], { reject: false })).exitCode === 0;
  if (!hasGroup) await execa('groupadd', ['--system', 'kvm']);
  if (!(await id('-u', 'vdsm'))) {
    await execa('useradd', ['--system', '--no-create-home', '-g', 'kvm', '-c', TEST_USER_MARK, '-s', '/sbin/nologin', 'vdsm']);
  }
  t.teardown(async () => {
    const passwd = (await execa('getent', ['passwd', 'vdsm'], { reject: false })).stdout;
    if (passwd.split(':')[4] === TEST_USER_MARK) await execa('userdel', ['vdsm'], { reject: false });
    if (!hasGroup) await execa('groupdel', ['kvm'], { reject: false });
  });
  return { uid: Number(await id('-u', 'vdsm')), gid: Number(await id('-g', 'vdsm')) };
}

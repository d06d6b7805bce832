/**
 * before_device_create / before_nic_hotplug: a VM NIC on an OVS network is
 * pointed at Open vSwitch, one on an OVN network (as the environment VDSM
 * passes says) at OVN's integration bridge. Only the running config is read (no OVS call):
 * these hooks run as the vdsm user on every VM start and hot-plug.
 */
import type { XmlHandler } from '../vdsm/hook-io.js';
import { readRunningConfig } from '../vdsm/running-config.js';
import { ovnPortOf, plugVnic } from '../vdsm/vnic.js';

export const attachVnic: XmlHandler = async (xml, { paths, log }) => {
  const { xml: out, why } = plugVnic(xml, readRunningConfig(paths).networks, ovnPortOf(process.env));
  log.info(why);
  return out;
};

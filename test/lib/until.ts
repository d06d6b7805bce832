/**
 * Waiting on a condition rather than a fixed time: OVS, DHCP and the kernel
 * act on their own clocks, slower when the machine is loaded.
 */

/** Polls `what` every 200 ms until it is true; false once `seconds` have passed. */
export async function until(what: () => Promise<boolean>, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (await what()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Wait until `predicate` holds, looking every 10 ms; after `msMax` of real time, fail naming `what` was awaited. */
export async function until(predicate: () => boolean | Promise<boolean>, what: string, msMax = 5000): Promise<void> {
  const deadline = Date.now() + msMax;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

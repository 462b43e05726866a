/**
 * A client call's outcome as text two servers' can be compared by: `ok <result as JSON>`, or the
 * error's class and message (grpc-js words a deadline with the time it took, 0.000s or 0.001s: not
 * the server's doing, so that time is written N).
 */
export async function stepOutcome(step: () => Promise<unknown>): Promise<string> {
  try {
    return `ok ${JSON.stringify(await step())}`;
  } catch (error) {
    return `${(error as Error).constructor.name}: ${(error as Error).message.replace(/Deadline exceeded after [\d.]+s/, 'Deadline exceeded after Ns')}`;
  }
}

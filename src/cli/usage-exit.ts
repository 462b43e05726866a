/**
 * A command's usage error, found before it does anything: the text to print
 * on stderr (already formatted) and exit code 2. Parsing helpers throw it, so
 * a command reads as one flow rather than a check-write-return after each step.
 */
export class UsageExit extends Error {
  constructor(readonly text: string) {
    super(text);
  }
}

/** Run a command; a UsageExit becomes its text on stderr and exit code 2. */
export async function exitingOnUsage(command: () => Promise<number>): Promise<number> {
  try {
    return await command();
  } catch (error) {
    if (!(error instanceof UsageExit)) throw error;
    process.stderr.write(error.text);
    return 2;
  }
}

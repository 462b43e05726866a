/** The two replay lines explore prints under a case (`replay: npx leaselab replay …` and `or: npx leaselab replay … --path`), as argv for replay's run(). */
export function replayLines(text: string): { bySchedule: string[]; byPath: string[] } {
  const argv = (line: string) =>
    line
      .split(' ')
      .slice(1)
      .map((arg) => arg.replace(/^"(.*)"$/, '$1'));
  return { bySchedule: argv(/replay: npx leaselab (replay .*)\n/.exec(text)![1]!), byPath: argv(/or: +npx leaselab (replay .*)\n/.exec(text)![1]!) };
}

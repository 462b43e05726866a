/** `node:fs` in the browser bundle: the report's page writer reads files, the playground never calls it. */
export function readFileSync(path: unknown): never {
  throw new Error(`no file system in the browser (read ${String(path)})`);
}

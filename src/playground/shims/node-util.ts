/** `node:util` in the browser bundle: only what the report code imports. */
const vtControl = /[\u001b\u009b][[\]()#;?]*(?:\d{1,4}(?:;\d{0,4})*)?[\dA-ORZcf-nqry=><~]/g;

export function stripVTControlCharacters(text: string): string {
  return text.replace(vtControl, '');
}

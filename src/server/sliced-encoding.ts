/**
 * A response with a long list, encoded a slice of the list at a time with
 * the event loop free in between: LeaseLeases over 100,000 leases took
 * ~100 ms to encode in one go, every other client waiting.
 *
 *   { header, leases: [100,000] } → bytes(header) + bytes(leases 0..4,999)
 *                                   → (event loop) → bytes(leases 5,000..9,999) → …
 *
 * Protobuf writes a repeated field as one entry after another, so the
 * pieces joined are the same bytes as one pass, provided the list is the
 * message's last field (its highest number, as protobufjs writes fields in
 * number order); `listField` must be.
 */
import type { ResponseHeaderFields } from './grpc-encoder.ts';

/** List entries encoded per turn of the event loop. */
export const listEntriesPerSliceMax = 5_000;

type ResponseEncoder = (response: object, memberHeader: ResponseHeaderFields) => Buffer;

/** `encode(response, memberHeader)`'s bytes, built in slices of `response[listField]` across turns of the event loop. */
export async function encodeInSlices(
  encode: ResponseEncoder,
  response: object,
  listField: string,
  memberHeader: ResponseHeaderFields,
  sliceMax = listEntriesPerSliceMax,
): Promise<Buffer> {
  const list = (response as { readonly [field: string]: unknown })[listField] as readonly unknown[];
  if (list.length <= sliceMax) return encode(response, memberHeader);
  const pieces = [encode({ ...response, [listField]: [] }, memberHeader)]; // tidy: allow spread (once per long answer, not per entry)
  for (let start = 0; start < list.length; start += sliceMax) {
    await new Promise((resolve) => setImmediate(resolve));
    // No header field: only the list's entries are written.
    pieces.push(encode({ [listField]: list.slice(start, start + sliceMax) }, memberHeader));
  }
  return Buffer.concat(pieces);
}

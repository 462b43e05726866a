/**
 * Messages built from the schema table alone (src/store/message-schemas.ts):
 * every field that has a default holds a value that is not it, so a codec
 * that drops, renames, swaps or mistypes a field cannot round-trip them.
 */
import { type FieldType, fieldsOf, type MessageName, type Messages, type NamedField } from '../../src/store/message-schemas.ts';

/** A value of this type, not the default; `salt` keeps fields of one kind apart. */
function sampleValue(type: FieldType, salt: number): unknown {
  switch (type.kind) {
    case 'int64':
      if (type.as === 'number') return 10 + salt;
      return type.as === 'bigint' ? -(2n ** 62n) - BigInt(salt) : 2n ** 60n + BigInt(salt); // beyond 2^53
    case 'uint64':
      return type.as === 'number' ? 20 + salt : 2n ** 63n + BigInt(salt);
    case 'bool':
      return true;
    case 'string':
      return `text ${salt}`;
    case 'bytes':
      return new Uint8Array([salt, 0xff, 0]);
    case 'enum':
      return type.values[type.values.length - 1];
    case 'message':
      return sampleMessage(type.message);
  }
}

function sampleField(field: NamedField, salt: number): unknown {
  return field.repeated ? [sampleValue(field.type, salt), sampleValue(field.type, salt + 100)] : sampleValue(field.type, salt);
}

/**
 * A message with every field set but oneof members, of which only
 * `oneofMember` (or, for a oneof it does not name, the first member) is set.
 * First members never nest the message they are in, so nesting ends.
 */
export function sampleMessage<N extends MessageName>(name: N, oneofMember?: string): Messages[N] {
  const fields = fieldsOf(name);
  const setMember = (oneof: string): string => {
    const members = fields.filter((field) => field.oneof === oneof).map((field) => field.name);
    return oneofMember !== undefined && members.includes(oneofMember) ? oneofMember : members[0]!;
  };
  const out: Record<string, unknown> = {};
  fields.forEach((field, i) => {
    if (field.oneof === undefined || field.name === setMember(field.oneof)) out[field.name] = sampleField(field, i + 1);
  });
  return out as unknown as Messages[N];
}

/** The message with each oneof member set in turn (just the message when it has no oneof). */
export function sampleMessages<N extends MessageName>(name: N): Messages[N][] {
  const members = fieldsOf(name).filter((field) => field.oneof !== undefined);
  if (members.length === 0) return [sampleMessage(name)];
  return members.map((member) => sampleMessage(name, member.name));
}

// Reference answer to `leaselab exercise fix-check-then-act`: the check and the write in one transaction.
import { compare, op, type Client } from '../../../src/client/index.ts';

export async function becomeLeader(client: Client, name: string): Promise<boolean> {
  const { succeeded } = await client
    .txn()
    .if(compare.createRevision('/leader', '=', 0))
    .then(op.put('/leader', name))
    .commit();
  return succeeded;
}

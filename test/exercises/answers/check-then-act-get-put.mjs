// A wrong answer to `leaselab exercise fix-check-then-act`: read, then write (check-then-act).
export async function becomeLeader(client, name) {
  const { kvs } = await client.get('/leader');
  if (kvs.length > 0) return false;
  await client.put('/leader', name);
  return true;
}

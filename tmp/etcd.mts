import { startEtcd, fastDataRoot } from '../test/server/etcd-process.ts';
const etcd = await startEtcd([], fastDataRoot());
console.log(etcd.address);
process.on('SIGTERM', async () => { await etcd.stop(); process.exit(0); });
setInterval(() => {}, 1000);

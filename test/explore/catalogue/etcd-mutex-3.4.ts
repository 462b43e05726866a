// etcd 3.4's Mutex as leaselab ships it (the built-in `mutex`): Session +
// Mutex, no fencing token, no check of its own key after waiting.
import { etcdMutex } from 'leaselab';
export default etcdMutex;

// Correct: etcd's Mutex with the key's create revision as fencing token (the built-in `mutex-fenced`).
import { etcdMutexFenced } from 'leaselab';
export default etcdMutexFenced;

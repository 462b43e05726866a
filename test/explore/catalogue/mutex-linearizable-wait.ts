// Correct: mutex-serializable-wait's twin, reading the queue with linearizable
// gets (etcd's default): the member asks the leader for a read index first, so
// a lagging member never answers from old state. Passes with one etcd and with
// `explore --members 3`.
import { queueLock } from './queue-lock-kit.ts';

export const mutexLinearizableWait = queueLock('mutex-linearizable-wait', false);
export default mutexLinearizableWait;

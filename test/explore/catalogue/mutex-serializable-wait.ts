// Bug (in a cluster): a queue lock like etcd's Mutex that looks for the keys
// queued before its own with a serializable get, to spare the leader a round
// trip. A member that lags (cut off from the others, or slow to apply) answers
// from its old state: keys queued before ours after it fell behind are not
// there, and we take the lock while an older key still holds it. With one etcd
// (nothing lags) it is correct; `explore --members 3` finds it. Its twin
// mutex-linearizable-wait is the same lock with linearizable gets.
import { queueLock } from './queue-lock-kit.ts';

export const mutexSerializableWait = queueLock('mutex-serializable-wait', true);
export default mutexSerializableWait;

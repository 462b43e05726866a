/**
 * The RPCs that change state kept beside the store, by kind: auth decides who
 * may call them (auth-service.ts), and each is a raft proposal that moves the
 * raft index (maintenance-service.ts).
 */

/** The RPCs that change auth's state (each one a raft proposal in etcd). */
export const authChangingMethods = [
  'AuthEnable',
  'AuthDisable',
  'UserAdd',
  'UserDelete',
  'UserChangePassword',
  'UserGrantRole',
  'UserRevokeRole',
  'RoleAdd',
  'RoleDelete',
  'RoleGrantPermission',
  'RoleRevokePermission',
] as const;

/** The RPCs that change the cluster's membership. */
export const memberChangingMethods = ['MemberAdd', 'MemberRemove', 'MemberUpdate', 'MemberPromote'] as const;

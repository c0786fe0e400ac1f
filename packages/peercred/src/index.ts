// @machina/peercred: SO_PEERCRED / SO_PEERGROUPS and NSS user/group lookups for machinad (Linux only).
export { peerCredentials } from './credentials.js';
export type { PeerCredentials } from './credentials.js';
export { groupName, lookupGroup, lookupUser, resolveGroupId, resolveUserId, userName } from './users.js';
export type { GroupInfo, UserInfo } from './native.js';
export { notifyServiceManager } from './notify.js';

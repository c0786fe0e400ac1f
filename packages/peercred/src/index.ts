// @machina/peercred: SO_PEERCRED / SO_PEERGROUPS, NSS user/group lookups, sd_notify and extended attributes for machinad (Linux only).
export { peerCredentials } from './credentials.js';
export type { PeerCredentials } from './credentials.js';
export { groupName, lookupGroup, lookupUser, resolveGroupId, resolveUserId, userName } from './users.js';
export type { GroupInfo, UserInfo } from './native.js';
export { notifyServiceManager } from './notify.js';
export { getXattr, listXattrs, removeXattr, setXattr } from './xattrs.js';

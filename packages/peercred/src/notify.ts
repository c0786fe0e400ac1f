// sd_notify(3) for machinad under systemd (Type=notify): readiness and stopping.
import { native } from './native.js';

/**
 * Sends `state` (newline-separated assignments such as "READY=1") to the
 * service manager when it asked for notifications ($NOTIFY_SOCKET), and says
 * whether it did. A socket that has gone away is the manager's concern, not
 * a reason for the daemon to fail: that error is thrown for the caller to log.
 */
export function notifyServiceManager(state: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return false;
  native.notifySocket(socket, state);
  return true;
}

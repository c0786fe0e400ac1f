// Peer credentials of a connected Unix-domain socket, NSS user/group lookups,
// sd_notify(3)'s datagram, and extended attributes (which Node has no API for),
// for machinad. Linux only. Flat functions, no state.
#include <napi.h>

#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59  // Linux >= 4.13; older headers lack the name
#endif

namespace {

const char* ErrnoName(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  if (const char* name = strerrorname_np(err)) return name;
#endif
  switch (err) {
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOTCONN: return "ENOTCONN";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case ENODATA: return "ENODATA";
    case ENOMEM: return "ENOMEM";
    case EIO: return "EIO";
    case ENOENT: return "ENOENT";
    case ENOTSUP: return "ENOTSUP";
    case ERANGE: return "ERANGE";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case E2BIG: return "E2BIG";
    case ENOSPC: return "ENOSPC";
    default: return "EUNKNOWN";
  }
}

// Throws Error{code, errno, syscall}; message like Node's: "EBADF: bad file descriptor, getsockopt(SO_PEERCRED)".
Napi::Value ThrowErrno(Napi::Env env, int err, const char* syscall, const char* detail = nullptr) {
  std::string msg = std::string(ErrnoName(err)) + ": " + (detail ? detail : strerror(err)) + ", " + syscall;
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value ThrowType(Napi::Env env, const char* msg) {
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

// An integer-valued JS number in [0, max], else false.
bool ArgInt(const Napi::CallbackInfo& info, double max, double* out) {
  if (info.Length() < 1 || !info[0].IsNumber()) return false;
  double v = info[0].As<Napi::Number>().DoubleValue();
  if (!(v >= 0 && v <= max) || v != static_cast<double>(static_cast<long long>(v))) return false;
  *out = v;
  return true;
}

// A string without NUL bytes (a NUL would silently truncate the C lookup: "root\0x" -> "root").
bool ArgName(const Napi::CallbackInfo& info, std::string* out) {
  if (info.Length() < 1 || !info[0].IsString()) return false;
  *out = info[0].As<Napi::String>().Utf8Value();
  return out->find('\0') == std::string::npos;
}

// Argument as a socket fd, or -1 after throwing TypeError / EAFNOSUPPORT.
int SocketFd(const Napi::CallbackInfo& info, const char* syscall) {
  double v;
  if (!ArgInt(info, INT_MAX, &v)) {
    ThrowType(info.Env(), "fd must be a non-negative integer file descriptor");
    return -1;
  }
  int fd = static_cast<int>(v), domain = 0;
  socklen_t len = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) {
    ThrowErrno(info.Env(), errno, syscall);
    return -1;
  }
  // On other families Linux "succeeds" with uid/gid -1; refuse instead.
  if (domain != AF_UNIX) {
    ThrowErrno(info.Env(), EAFNOSUPPORT, syscall, "not a Unix-domain socket");
    return -1;
  }
  return fd;
}

// peerCred(fd) -> { pid, uid, gid }, credentials the peer had at connect()/socketpair().
Napi::Value PeerCred(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = SocketFd(info, "getsockopt(SO_PEERCRED)");
  if (fd < 0) return env.Undefined();
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return ThrowErrno(env, errno, "getsockopt(SO_PEERCRED)");
  }
  // No peer recorded (unconnected socket): the kernel reports uid = gid = -1.
  if (cred.uid == static_cast<uid_t>(-1) && cred.gid == static_cast<gid_t>(-1)) {
    return ThrowErrno(env, ENOTCONN, "getsockopt(SO_PEERCRED)");
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, cred.pid));
  out.Set("uid", Napi::Number::New(env, cred.uid));
  out.Set("gid", Napi::Number::New(env, cred.gid));
  return out;
}

// peerGroups(fd) -> number[] (supplementary groups), or null when the kernel lacks SO_PEERGROUPS.
Napi::Value PeerGroups(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = SocketFd(info, "getsockopt(SO_PEERGROUPS)");
  if (fd < 0) return env.Undefined();
  std::vector<gid_t> groups(64);
  for (;;) {
    socklen_t len = groups.size() * sizeof(gid_t);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
      groups.resize(len / sizeof(gid_t));
      break;
    }
    if (errno == ENOPROTOOPT) return env.Null();
    if (errno == ENODATA) return ThrowErrno(env, ENOTCONN, "getsockopt(SO_PEERGROUPS)");
    // ERANGE: len now holds the size needed (the group list may grow between calls, so loop).
    if (errno != ERANGE || len <= groups.size() * sizeof(gid_t)) {
      return ThrowErrno(env, errno, "getsockopt(SO_PEERGROUPS)");
    }
    groups.resize(len / sizeof(gid_t));
  }
  Napi::Array out = Napi::Array::New(env, groups.size());
  for (size_t i = 0; i < groups.size(); i++) out.Set(i, Napi::Number::New(env, groups[i]));
  return out;
}

// Runs a getpw*_r / getgr*_r call, growing buf on ERANGE. Returns 0 or an errno.
// The result points into buf, so the caller owns it.
template <typename Call>
int WithBuffer(std::vector<char>& buf, Call call) {
  buf.resize(1024);
  for (;;) {
    int rc = call(buf.data(), buf.size());
    if (rc != ERANGE || buf.size() >= (1u << 24)) return rc;
    buf.resize(buf.size() * 2);
  }
}

// POSIX lets "not found" be reported as one of these instead of 0 + NULL.
bool NotFound(int rc) { return rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM; }

Napi::Value UserObject(Napi::Env env, const struct passwd& pw) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("uid", Napi::Number::New(env, pw.pw_uid));
  out.Set("gid", Napi::Number::New(env, pw.pw_gid));
  out.Set("name", Napi::String::New(env, pw.pw_name));
  return out;
}

Napi::Value GroupObject(Napi::Env env, const struct group& gr) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("gid", Napi::Number::New(env, gr.gr_gid));
  out.Set("name", Napi::String::New(env, gr.gr_name));
  return out;
}

// lookupUser(name) -> { uid, gid, name } | null
Napi::Value LookupUser(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  if (!ArgName(info, &name)) return ThrowType(env, "user name must be a string without NUL bytes");
  struct passwd pw, *res = nullptr;
  std::vector<char> buf;
  int rc = WithBuffer(buf, [&](char* b, size_t n) { return getpwnam_r(name.c_str(), &pw, b, n, &res); });
  if (res) return UserObject(env, pw);
  return NotFound(rc) ? env.Null() : ThrowErrno(env, rc, "getpwnam_r");
}

// lookupGroup(name) -> { gid, name } | null
Napi::Value LookupGroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  if (!ArgName(info, &name)) return ThrowType(env, "group name must be a string without NUL bytes");
  struct group gr, *res = nullptr;
  std::vector<char> buf;
  int rc = WithBuffer(buf, [&](char* b, size_t n) { return getgrnam_r(name.c_str(), &gr, b, n, &res); });
  if (res) return GroupObject(env, gr);
  return NotFound(rc) ? env.Null() : ThrowErrno(env, rc, "getgrnam_r");
}

// userName(uid) -> string | null
Napi::Value UserName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double v;
  if (!ArgInt(info, UINT32_MAX, &v)) return ThrowType(env, "uid must be a non-negative 32-bit integer");
  struct passwd pw, *res = nullptr;
  std::vector<char> buf;
  int rc = WithBuffer(buf, [&](char* b, size_t n) { return getpwuid_r(static_cast<uid_t>(v), &pw, b, n, &res); });
  if (res) return Napi::String::New(env, pw.pw_name);
  return NotFound(rc) ? env.Null() : ThrowErrno(env, rc, "getpwuid_r");
}

// groupName(gid) -> string | null
Napi::Value GroupName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double v;
  if (!ArgInt(info, UINT32_MAX, &v)) return ThrowType(env, "gid must be a non-negative 32-bit integer");
  struct group gr, *res = nullptr;
  std::vector<char> buf;
  int rc = WithBuffer(buf, [&](char* b, size_t n) { return getgrgid_r(static_cast<gid_t>(v), &gr, b, n, &res); });
  if (res) return Napi::String::New(env, gr.gr_name);
  return NotFound(rc) ? env.Null() : ThrowErrno(env, rc, "getgrgid_r");
}

// sd_notify(3) without libsystemd: one datagram to the service manager's
// socket ($NOTIFY_SOCKET: a path, or "@name" in the abstract namespace). Node
// has no Unix datagram sockets. The kernel attaches this process's
// credentials (systemd sets SO_PASSCRED), so NotifyAccess=main accepts it.
Napi::Value NotifySocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) return ThrowType(env, "notifySocket(socketPath, message): two strings");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string message = info[1].As<Napi::String>().Utf8Value();
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.size() < 2 || path.size() >= sizeof addr.sun_path || (path[0] != '/' && path[0] != '@') || path.find('\0') != std::string::npos) {
    return ThrowType(env, "the socket path must be absolute or @abstract, without NUL, shorter than 108 bytes");
  }
  memcpy(addr.sun_path, path.data(), path.size());
  if (path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + path.size());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ThrowErrno(env, errno, "socket");
  ssize_t sent = sendto(fd, message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<struct sockaddr*>(&addr), len);
  int err = errno;
  close(fd);
  if (sent < 0) return ThrowErrno(env, err, "sendto");
  return env.Undefined();
}

// Extended attributes of a path, never following a final symbolic link (the l* calls:
// a link's own attributes, as the daemon checks that its files are no links). Names
// are strings without NUL; values are bytes. Errors are the syscall's errno.

// A path or attribute name argument: a string without NUL bytes (a NUL would cut it short).
bool ArgPath(const Napi::CallbackInfo& info, size_t i, std::string* out) {
  if (info.Length() <= i || !info[i].IsString()) return false;
  *out = info[i].As<Napi::String>().Utf8Value();
  return !out->empty() && out->find('\0') == std::string::npos;
}

// Runs a size-then-fill xattr call (size 0 asks for the size), retrying while the
// attribute grows between the two calls. Returns the length, or -1 with errno set.
template <typename Call>
ssize_t SizedRead(std::vector<char>& buf, Call call) {
  for (int attempt = 0; attempt < 8; attempt++) {
    ssize_t need = call(nullptr, 0);
    if (need < 0) return -1;
    buf.resize(static_cast<size_t>(need) + 1);  // +1: never a zero-sized buffer (data() may be null)
    ssize_t got = call(buf.data(), buf.size());
    if (got >= 0) return got;
    if (errno != ERANGE) return -1;
  }
  errno = ERANGE;
  return -1;
}

// listXattrs(path) -> string[]: llistxattr(2). Names the caller may not see (trusted.* without
// CAP_SYS_ADMIN) are not listed by the kernel.
Napi::Value ListXattrs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ArgPath(info, 0, &path)) return ThrowType(env, "listXattrs(path): a non-empty path without NUL bytes");
  std::vector<char> buf;
  ssize_t len = SizedRead(buf, [&](char* b, size_t n) { return llistxattr(path.c_str(), b, n); });
  if (len < 0) return ThrowErrno(env, errno, "llistxattr");
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (ssize_t start = 0; start < len;) {
    size_t n = strnlen(buf.data() + start, static_cast<size_t>(len - start));
    if (n > 0) out.Set(i++, Napi::String::New(env, buf.data() + start, n));
    start += static_cast<ssize_t>(n) + 1;
  }
  return out;
}

// getXattr(path, name) -> Buffer: lgetxattr(2); ENODATA when the file has no such attribute.
Napi::Value GetXattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path, name;
  if (!ArgPath(info, 0, &path) || !ArgPath(info, 1, &name)) return ThrowType(env, "getXattr(path, name): two non-empty strings without NUL bytes");
  std::vector<char> buf;
  ssize_t len = SizedRead(buf, [&](char* b, size_t n) { return lgetxattr(path.c_str(), name.c_str(), b, n); });
  if (len < 0) return ThrowErrno(env, errno, "lgetxattr");
  return Napi::Buffer<char>::Copy(env, buf.data(), static_cast<size_t>(len));
}

// setXattr(path, name, value: Uint8Array): lsetxattr(2), creating or replacing the attribute.
Napi::Value SetXattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path, name;
  if (!ArgPath(info, 0, &path) || !ArgPath(info, 1, &name) || info.Length() < 3 || !info[2].IsTypedArray() ||
      info[2].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    return ThrowType(env, "setXattr(path, name, value): two non-empty strings without NUL bytes and a Uint8Array");
  }
  Napi::Uint8Array value = info[2].As<Napi::Uint8Array>();
  if (lsetxattr(path.c_str(), name.c_str(), value.Data(), value.ByteLength(), 0) != 0) return ThrowErrno(env, errno, "lsetxattr");
  return env.Undefined();
}

// removeXattr(path, name): lremovexattr(2); ENODATA when the file has no such attribute.
Napi::Value RemoveXattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path, name;
  if (!ArgPath(info, 0, &path) || !ArgPath(info, 1, &name)) return ThrowType(env, "removeXattr(path, name): two non-empty strings without NUL bytes");
  if (lremovexattr(path.c_str(), name.c_str()) != 0) return ThrowErrno(env, errno, "lremovexattr");
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("notifySocket", Napi::Function::New(env, NotifySocket, "notifySocket"));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred, "peerCred"));
  exports.Set("peerGroups", Napi::Function::New(env, PeerGroups, "peerGroups"));
  exports.Set("lookupUser", Napi::Function::New(env, LookupUser, "lookupUser"));
  exports.Set("lookupGroup", Napi::Function::New(env, LookupGroup, "lookupGroup"));
  exports.Set("userName", Napi::Function::New(env, UserName, "userName"));
  exports.Set("groupName", Napi::Function::New(env, GroupName, "groupName"));
  exports.Set("listXattrs", Napi::Function::New(env, ListXattrs, "listXattrs"));
  exports.Set("getXattr", Napi::Function::New(env, GetXattr, "getXattr"));
  exports.Set("setXattr", Napi::Function::New(env, SetXattr, "setXattr"));
  exports.Set("removeXattr", Napi::Function::New(env, RemoveXattr, "removeXattr"));
  return exports;
}

}  // namespace

NODE_API_MODULE(peercred, Init)

// Thin N-API layer over libaugeas: every method calls one libaugeas function
// and turns its error state into a JS error. Text goes in as a string (UTF-8)
// or a Uint8Array (bytes as they are) and comes back as a string or, when the
// call's `asBuffer` flag is set, as a Buffer of the exact bytes. Validation of meaning, defaults
// and error enrichment live in the TypeScript wrapper; this file only makes
// sure that no JS input can crash the process and that nothing leaks.
//
// libaugeas is not thread-safe and keeps process-wide regex state, so the
// caller must use every handle (and this addon) from one thread at a time.
// The addon is context-aware: each Node environment (the main thread, every
// worker) gets its own exports and AddonData, and nothing here is static
// and mutable, so it loads in worker threads; a worker terminated mid-call
// is survived thanks to NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS (binding.gyp).

#include <augeas.h>
#include <napi.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// Indexed by aug_errcode_t; the JS `code` is libaugeas' own name minus AUG_.
const char* const kCodeNames[] = {
    "NOERROR", "ENOMEM",  "EINTERNAL", "EPATHX",  "ENOMATCH", "EMMATCH",
    "ESYNTAX", "ENOLENS", "EMXFM",     "ENOSPAN", "EMVDESC",  "ECMDRUN",
    "EBADARG", "ELABEL",  "ECPDESC",   "EFILEACCESS"};
constexpr int kCodeCount = sizeof(kCodeNames) / sizeof(kCodeNames[0]);

struct AddonData {
  // The TS AugeasError class, registered at load time so errors thrown here
  // already have the public type (no try/catch re-wrapping on the hot path).
  Napi::FunctionReference errorClass;
};

void SetIfPresent(Napi::Object obj, const char* key, const char* value) {
  if (value != nullptr && *value != '\0') obj.Set(key, value);
}

// Throws the current libaugeas error of `aug`. Its strings die on the next
// libaugeas call, so they are copied into JS strings right here.
//
// Some calls fail without setting an error code (a save whose put failed, a
// load or text_store that could not parse, an insert with a bad label); they
// get `fallbackCode` so a JS error never claims "NOERROR".
//
// `output` (srun) is what the commands printed before the failure.
Napi::Value ThrowAugeasError(Napi::Env env, augeas* aug, const char* fallbackCode = "EFAILED",
                             Napi::Value output = Napi::Value()) {
  int code = aug_error(aug);
  Napi::Object init = Napi::Object::New(env);
  if (!output.IsEmpty()) init.Set("output", output);
  init.Set("code", code == AUG_NOERROR                   ? fallbackCode
                   : code > 0 && code < kCodeCount ? kCodeNames[code]
                                                   : "EUNKNOWN");
  init.Set("message", code == AUG_NOERROR
                          ? "libaugeas reported a failure without an error code"
                          : aug_error_message(aug));
  SetIfPresent(init, "minorMessage", aug_error_minor_message(aug));
  SetIfPresent(init, "details", aug_error_details(aug));

  AddonData* data = env.GetInstanceData<AddonData>();
  if (data != nullptr && !data->errorClass.IsEmpty()) {
    Napi::Object err = data->errorClass.New({init});
    if (!env.IsExceptionPending()) Napi::Error(env, err).ThrowAsJavaScriptException();
    return Napi::Value();
  }
  Napi::Error err = Napi::Error::New(env, init.Get("message").As<Napi::String>());
  err.Set("code", init.Get("code"));
  err.Set("minorMessage", init.Get("minorMessage"));
  err.Set("details", init.Get("details"));
  err.ThrowAsJavaScriptException();
  return Napi::Value();
}

void ThrowTypeError(Napi::Env env, const char* name, const char* what) {
  std::string msg = std::string(name) + what;
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
}

// A JS text argument as a NUL-terminated byte string, on the stack for the
// short paths of the hot calls, on the heap only when longer. A string is
// passed as UTF-8; a Uint8Array (a Buffer) as its bytes, unchanged, so text
// that is not UTF-8 reaches libaugeas exactly (the lossless path).
class TextArg {
 public:
  TextArg() = default;
  TextArg(const TextArg&) = delete;
  TextArg& operator=(const TextArg&) = delete;
  ~TextArg() {
    if (data_ != stack_) std::free(data_);
  }

  // Returns false with a pending TypeError. With `nullable`, JS null maps to
  // a NULL char* (libaugeas' "no value").
  bool Read(Napi::Env env, napi_value v, const char* name, bool nullable = false) {
    size_t len = 0;
    napi_status st = napi_get_value_string_utf8(env, v, stack_, sizeof stack_, &len);
    if (st != napi_ok) {
      napi_valuetype type = napi_undefined;
      napi_typeof(env, v, &type);
      if (nullable && type == napi_null) {
        null_ = true;
        return true;
      }
      bool isTyped = false;
      napi_is_typedarray(env, v, &isTyped);
      if (isTyped) return ReadBytes(env, v, name);
      ThrowTypeError(env, name,
                     nullable ? " must be a string, a Uint8Array or null" : " must be a string or a Uint8Array");
      return false;
    }
    // V8 never splits a UTF-8 sequence, so a truncated copy can end up to 3
    // bytes short of the buffer: re-read anything that came close.
    if (len + 4 >= sizeof stack_) {
      napi_get_value_string_utf8(env, v, nullptr, 0, &len);
      if (len + 1 > sizeof stack_) {
        if (!Allocate(env, len + 1)) return false;
        napi_get_value_string_utf8(env, v, data_, len + 1, &len);
      }
    }
    return CheckNul(env, name, len);
  }

  const char* get() const { return null_ ? nullptr : data_; }
  size_t size() const { return size_; }

 private:
  char stack_[512];
  char* data_ = stack_;
  size_t size_ = 0;
  bool null_ = false;

  bool Allocate(Napi::Env env, size_t n) {
    data_ = static_cast<char*>(std::malloc(n));
    if (data_ == nullptr) {
      data_ = stack_;
      Napi::Error::New(env, "out of memory").ThrowAsJavaScriptException();
      return false;
    }
    return true;
  }

  bool ReadBytes(Napi::Env env, napi_value v, const char* name) {
    napi_typedarray_type type;
    size_t length = 0;
    void* bytes = nullptr;
    if (napi_get_typedarray_info(env, v, &type, &length, &bytes, nullptr, nullptr) != napi_ok ||
        type != napi_uint8_array) {
      ThrowTypeError(env, name, " must be a string or a Uint8Array");
      return false;
    }
    if (length + 1 > sizeof stack_ && !Allocate(env, length + 1)) return false;
    if (length > 0) std::memcpy(data_, bytes, length);
    data_[length] = '\0';
    return CheckNul(env, name, length);
  }

  // libaugeas would silently cut the text at an embedded NUL.
  bool CheckNul(Napi::Env env, const char* name, size_t len) {
    size_ = len;
    if (std::memchr(data_, '\0', len) != nullptr) {
      ThrowTypeError(env, name, " must not contain NUL characters");
      return false;
    }
    return true;
  }
};

bool ReadBool(Napi::Env env, Napi::Value v, const char* name, bool* out) {
  if (!v.IsBoolean()) {
    ThrowTypeError(env, name, " must be a boolean");
    return false;
  }
  *out = v.As<Napi::Boolean>().Value();
  return true;
}

// The trailing `asBuffer` flag of the calls that return text: undefined is false.
bool ReadAsBuffer(Napi::Env env, Napi::Value v, bool* out) {
  if (v.IsUndefined()) {
    *out = false;
    return true;
  }
  return ReadBool(env, v, "asBuffer", out);
}

// Text from libaugeas as a JS value: a string (UTF-8; invalid sequences become
// U+FFFD, so it is lossy for bytes that are not UTF-8) or a Buffer holding
// exactly the bytes.
Napi::Value MakeText(Napi::Env env, const char* s, size_t len, bool asBuffer) {
  if (asBuffer) return Napi::Buffer<char>::Copy(env, s, len);
  return Napi::String::New(env, s, len);
}
Napi::Value MakeText(Napi::Env env, const char* s, bool asBuffer) {
  if (s == nullptr) return env.Null();
  return MakeText(env, s, std::strlen(s), asBuffer);
}

// Copies a string libaugeas allocated for the caller, then frees it.
Napi::Value TakeText(Napi::Env env, char* s, bool asBuffer) {
  if (s == nullptr) return env.Null();
  Napi::Value v = MakeText(env, s, asBuffer);
  std::free(s);
  return v;
}

// The index argument of the aug_ns_* calls: libaugeas indexes its node array
// with it unchecked below, so a negative one would read out of bounds.
bool ReadIndex(Napi::Env env, Napi::Value v, int* out) {
  if (!v.IsNumber()) {
    ThrowTypeError(env, "index", " must be a non-negative integer");
    return false;
  }
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= INT_MAX) || d != static_cast<double>(static_cast<int>(d))) {
    ThrowTypeError(env, "index", " must be a non-negative integer");
    return false;
  }
  *out = static_cast<int>(d);
  return true;
}

// The arguments of the aug_ns_* calls that take a node: (name, index, asBuffer).
struct NsArgs {
  TextArg name;
  int index = 0;
  bool asBuffer = false;
  bool Read(Napi::Env env, const Napi::CallbackInfo& info) {
    return name.Read(env, info[0], "name") && ReadIndex(env, info[1], &index) && ReadAsBuffer(env, info[2], &asBuffer);
  }
};

// Collects what libaugeas writes to a FILE* (aug_print, aug_srun) in memory.
class MemoryOutput {
 public:
  MemoryOutput() : file_(open_memstream(&buf_, &size_)) {}
  MemoryOutput(const MemoryOutput&) = delete;
  MemoryOutput& operator=(const MemoryOutput&) = delete;
  ~MemoryOutput() {
    Finish();
    std::free(buf_);
  }
  FILE* file() const { return file_; }
  // Flushes and closes the stream; buf_/size_ are valid afterwards.
  void Finish() {
    if (file_ != nullptr) std::fclose(file_);
    file_ = nullptr;
  }
  Napi::Value Take(Napi::Env env, bool asBuffer) {
    Finish();
    return MakeText(env, buf_ == nullptr ? "" : buf_, buf_ == nullptr ? 0 : size_, asBuffer);
  }

 private:
  char* buf_ = nullptr;
  size_t size_ = 0;
  FILE* file_;
};

Napi::Value StartEnd(Napi::Env env, unsigned int start, unsigned int end) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("start", start);
  o.Set("end", end);
  return o;
}

class AugeasHandle : public Napi::ObjectWrap<AugeasHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "AugeasHandle",
        {
            InstanceMethod<&AugeasHandle::Get>("get"),
            InstanceMethod<&AugeasHandle::Label>("label"),
            InstanceMethod<&AugeasHandle::Set>("set"),
            InstanceMethod<&AugeasHandle::Setm>("setm"),
            InstanceMethod<&AugeasHandle::Match>("match"),
            InstanceMethod<&AugeasHandle::Insert>("insert"),
            InstanceMethod<&AugeasHandle::Mv>("mv"),
            InstanceMethod<&AugeasHandle::Cp>("cp"),
            InstanceMethod<&AugeasHandle::Rename>("rename"),
            InstanceMethod<&AugeasHandle::Rm>("rm"),
            InstanceMethod<&AugeasHandle::Save>("save"),
            InstanceMethod<&AugeasHandle::Load>("load"),
            InstanceMethod<&AugeasHandle::LoadFile>("loadFile"),
            InstanceMethod<&AugeasHandle::Transform>("transform"),
            InstanceMethod<&AugeasHandle::Preview>("preview"),
            InstanceMethod<&AugeasHandle::Source>("source"),
            InstanceMethod<&AugeasHandle::Span>("span"),
            InstanceMethod<&AugeasHandle::Defvar>("defvar"),
            InstanceMethod<&AugeasHandle::Defnode>("defnode"),
            InstanceMethod<&AugeasHandle::TextStore>("textStore"),
            InstanceMethod<&AugeasHandle::TextRetrieve>("textRetrieve"),
            InstanceMethod<&AugeasHandle::EscapeName>("escapeName"),
            InstanceMethod<&AugeasHandle::Print>("print"),
            InstanceMethod<&AugeasHandle::Srun>("srun"),
            InstanceMethod<&AugeasHandle::NsAttr>("nsAttr"),
            InstanceMethod<&AugeasHandle::NsLabel>("nsLabel"),
            InstanceMethod<&AugeasHandle::NsValue>("nsValue"),
            InstanceMethod<&AugeasHandle::NsCount>("nsCount"),
            InstanceMethod<&AugeasHandle::NsPath>("nsPath"),
            InstanceMethod<&AugeasHandle::Close>("close"),
        });
  }

  // new AugeasHandle(root: string | null, loadPath: string | null, flags: number)
  explicit AugeasHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AugeasHandle>(info) {
    Napi::Env env = info.Env();
    TextArg root, loadPath;
    if (!root.Read(env, info[0], "root", true) || !loadPath.Read(env, info[1], "loadPath", true))
      return;
    if (!info[2].IsNumber()) {
      ThrowTypeError(env, "flags", " must be a number");
      return;
    }
    unsigned int flags = info[2].As<Napi::Number>().Uint32Value();
    // AUG_NO_ERR_CLOSE keeps the handle on failure so we can report why.
    augeas* aug = aug_init(root.get(), loadPath.get(), flags | AUG_NO_ERR_CLOSE);
    if (aug == nullptr) {
      Napi::Error::New(env, "aug_init failed (out of memory)").ThrowAsJavaScriptException();
      return;
    }
    if (aug_error(aug) != AUG_NOERROR) {
      ThrowAugeasError(env, aug);
      aug_close(aug);
      return;
    }
    aug_ = aug;
  }

  // Handles never closed are freed when the JS object is collected.
  ~AugeasHandle() override {
    if (aug_ != nullptr) aug_close(aug_);
  }

 private:
  augeas* aug_ = nullptr;

  augeas* Open(Napi::Env env) {
    if (aug_ == nullptr) Napi::Error::New(env, "Augeas handle is closed").ThrowAsJavaScriptException();
    return aug_;
  }

  Napi::Value Get(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg path;
    bool asBuffer = false;
    if (aug == nullptr || !path.Read(env, info[0], "path") || !ReadAsBuffer(env, info[1], &asBuffer))
      return Napi::Value();
    const char* value = nullptr;
    int r = aug_get(aug, path.get(), &value);
    if (r < 0) return ThrowAugeasError(env, aug);
    if (r == 0) return env.Undefined();
    return MakeText(env, value, asBuffer);
  }

  Napi::Value Label(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg path;
    bool asBuffer = false;
    if (aug == nullptr || !path.Read(env, info[0], "path") || !ReadAsBuffer(env, info[1], &asBuffer))
      return Napi::Value();
    const char* label = nullptr;
    int r = aug_label(aug, path.get(), &label);
    if (r < 0) return ThrowAugeasError(env, aug);
    if (r == 0) return env.Undefined();
    return MakeText(env, label, asBuffer);
  }

  Napi::Value Set(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg path, value;
    if (aug == nullptr || !path.Read(env, info[0], "path") ||
        !value.Read(env, info[1], "value", true))
      return Napi::Value();
    if (aug_set(aug, path.get(), value.get()) < 0) return ThrowAugeasError(env, aug);
    return env.Undefined();
  }

  Napi::Value Setm(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg base, sub, value;
    if (aug == nullptr || !base.Read(env, info[0], "base") ||
        !sub.Read(env, info[1], "sub", true) || !value.Read(env, info[2], "value", true))
      return Napi::Value();
    int r = aug_setm(aug, base.get(), sub.get(), value.get());
    if (r < 0) return ThrowAugeasError(env, aug);
    return Napi::Number::New(env, r);
  }

  Napi::Value Match(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg path;
    bool asBuffer = false;
    if (aug == nullptr || !path.Read(env, info[0], "path") || !ReadAsBuffer(env, info[1], &asBuffer))
      return Napi::Value();
    char** matches = nullptr;
    int n = aug_match(aug, path.get(), &matches);
    if (n < 0) return ThrowAugeasError(env, aug);
    napi_value arr = nullptr;
    napi_status st = napi_create_array_with_length(env, n, &arr);
    // Keep going after a failed napi call: every element must still be freed.
    for (int i = 0; i < n; i++) {
      if (st == napi_ok) {
        if (asBuffer) {
          void* copy = nullptr;
          napi_value b;
          st = napi_create_buffer_copy(env, std::strlen(matches[i]), matches[i], &copy, &b);
          if (st == napi_ok) st = napi_set_element(env, arr, i, b);
        } else {
          napi_value s;
          st = napi_create_string_utf8(env, matches[i], NAPI_AUTO_LENGTH, &s);
          if (st == napi_ok) st = napi_set_element(env, arr, i, s);
        }
      }
      std::free(matches[i]);
    }
    std::free(matches);
    if (st != napi_ok) {
      if (!env.IsExceptionPending()) Napi::Error::New(env, "aug_match: cannot build result").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    return Napi::Value(env, arr);
  }

  Napi::Value Insert(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg path, label;
    bool before = false;
    if (aug == nullptr || !path.Read(env, info[0], "path") || !label.Read(env, info[1], "label") ||
        !ReadBool(env, info[2], "before", &before))
      return Napi::Value();
    if (aug_insert(aug, path.get(), label.get(), before ? 1 : 0) < 0) return ThrowAugeasError(env, aug);
    return env.Undefined();
  }

  // mv and cp share their shape: (src, dst) -> 0 | -1.
  template <int (*Fn)(augeas*, const char*, const char*)>
  Napi::Value SrcDst(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg src, dst;
    if (aug == nullptr || !src.Read(env, info[0], "src") || !dst.Read(env, info[1], "dst"))
      return Napi::Value();
    if (Fn(aug, src.get(), dst.get()) < 0) return ThrowAugeasError(env, aug);
    return env.Undefined();
  }
  Napi::Value Mv(const Napi::CallbackInfo& info) { return SrcDst<aug_mv>(info); }
  Napi::Value Cp(const Napi::CallbackInfo& info) { return SrcDst<aug_cp>(info); }

  Napi::Value Rename(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg src, label;
    if (aug == nullptr || !src.Read(env, info[0], "path") || !label.Read(env, info[1], "label"))
      return Napi::Value();
    int r = aug_rename(aug, src.get(), label.get());
    if (r < 0) return ThrowAugeasError(env, aug);
    return Napi::Number::New(env, r);
  }

  Napi::Value Rm(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg path;
    if (aug == nullptr || !path.Read(env, info[0], "path")) return Napi::Value();
    int r = aug_rm(aug, path.get());
    if (r < 0) return ThrowAugeasError(env, aug);
    return Napi::Number::New(env, r);
  }

  Napi::Value Save(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    if (aug == nullptr) return Napi::Value();
    if (aug_save(aug) < 0) return ThrowAugeasError(env, aug, "ESAVE");
    return env.Undefined();
  }

  Napi::Value Load(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    if (aug == nullptr) return Napi::Value();
    if (aug_load(aug) < 0) return ThrowAugeasError(env, aug, "ELOAD");
    return env.Undefined();
  }

  Napi::Value LoadFile(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg file;
    if (aug == nullptr || !file.Read(env, info[0], "file")) return Napi::Value();
    // libaugeas 1.14 returns success when the transform's lens cannot be
    // found (transform_load fails, aug_load_file ignores it) but leaves the
    // error (ENOLENS) set: an error code after the call is a failure too.
    if (aug_load_file(aug, file.get()) < 0 || aug_error(aug) != AUG_NOERROR)
      return ThrowAugeasError(env, aug, "ELOAD");
    return env.Undefined();
  }

  Napi::Value Transform(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg lens, file;
    bool excl = false;
    if (aug == nullptr || !lens.Read(env, info[0], "lens") || !file.Read(env, info[1], "file") ||
        !ReadBool(env, info[2], "exclude", &excl))
      return Napi::Value();
    if (aug_transform(aug, lens.get(), file.get(), excl ? 1 : 0) < 0) return ThrowAugeasError(env, aug);
    return env.Undefined();
  }

  Napi::Value Preview(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg path;
    bool asBuffer = false;
    if (aug == nullptr || !path.Read(env, info[0], "path") || !ReadAsBuffer(env, info[1], &asBuffer))
      return Napi::Value();
    char* out = nullptr;
    if (aug_preview(aug, path.get(), &out) < 0) {
      std::free(out);
      return ThrowAugeasError(env, aug);
    }
    return TakeText(env, out, asBuffer);
  }

  Napi::Value Source(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg path;
    bool asBuffer = false;
    if (aug == nullptr || !path.Read(env, info[0], "path") || !ReadAsBuffer(env, info[1], &asBuffer))
      return Napi::Value();
    char* out = nullptr;
    if (aug_source(aug, path.get(), &out) < 0) {
      std::free(out);
      return ThrowAugeasError(env, aug);
    }
    return TakeText(env, out, asBuffer);
  }

  Napi::Value Span(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg path;
    bool asBuffer = false;
    if (aug == nullptr || !path.Read(env, info[0], "path") || !ReadAsBuffer(env, info[1], &asBuffer))
      return Napi::Value();
    char* filename = nullptr;
    unsigned int ls = 0, le = 0, vs = 0, ve = 0, ss = 0, se = 0;
    if (aug_span(aug, path.get(), &filename, &ls, &le, &vs, &ve, &ss, &se) < 0) {
      std::free(filename);
      return ThrowAugeasError(env, aug);
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("filename", TakeText(env, filename, asBuffer));
    o.Set("label", StartEnd(env, ls, le));
    o.Set("value", StartEnd(env, vs, ve));
    o.Set("span", StartEnd(env, ss, se));
    return o;
  }

  Napi::Value Defvar(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg name, expr;
    if (aug == nullptr || !name.Read(env, info[0], "name") || !expr.Read(env, info[1], "expr", true))
      return Napi::Value();
    int r = aug_defvar(aug, name.get(), expr.get());
    if (r < 0) return ThrowAugeasError(env, aug);
    return Napi::Number::New(env, r);
  }

  Napi::Value Defnode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg name, expr, value;
    if (aug == nullptr || !name.Read(env, info[0], "name") || !expr.Read(env, info[1], "expr") ||
        !value.Read(env, info[2], "value", true))
      return Napi::Value();
    int created = 0;
    int r = aug_defnode(aug, name.get(), expr.get(), value.get(), &created);
    if (r < 0) return ThrowAugeasError(env, aug);
    Napi::Object o = Napi::Object::New(env);
    o.Set("count", r);
    o.Set("created", created != 0);
    return o;
  }

  Napi::Value TextStore(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg lens, node, path;
    if (aug == nullptr || !lens.Read(env, info[0], "lens") || !node.Read(env, info[1], "node") ||
        !path.Read(env, info[2], "path"))
      return Napi::Value();
    if (aug_text_store(aug, lens.get(), node.get(), path.get()) < 0)
      return ThrowAugeasError(env, aug, "ETEXT");
    return env.Undefined();
  }

  Napi::Value TextRetrieve(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg lens, nodeIn, path, nodeOut;
    if (aug == nullptr || !lens.Read(env, info[0], "lens") || !nodeIn.Read(env, info[1], "nodeIn") ||
        !path.Read(env, info[2], "path") || !nodeOut.Read(env, info[3], "nodeOut"))
      return Napi::Value();
    if (aug_text_retrieve(aug, lens.get(), nodeIn.get(), path.get(), nodeOut.get()) < 0)
      return ThrowAugeasError(env, aug, "ETEXT");
    return env.Undefined();
  }

  Napi::Value EscapeName(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg label;
    bool asBuffer = false;
    if (aug == nullptr || !label.Read(env, info[0], "label") || !ReadAsBuffer(env, info[1], &asBuffer))
      return Napi::Value();
    char* out = nullptr;
    if (aug_escape_name(aug, label.get(), &out) < 0) {
      std::free(out);
      return ThrowAugeasError(env, aug);
    }
    // NULL means "needs no escaping": the input is the answer.
    return out == nullptr ? MakeText(env, label.get(), label.size(), asBuffer) : TakeText(env, out, asBuffer);
  }

  // print(path | null, asBuffer): aug_print's output (`path = "value"` lines).
  Napi::Value Print(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg path;
    bool asBuffer = false;
    if (aug == nullptr || !path.Read(env, info[0], "path", true) || !ReadAsBuffer(env, info[1], &asBuffer))
      return Napi::Value();
    MemoryOutput out;
    if (out.file() == nullptr) {
      Napi::Error::New(env, "print: cannot open an output stream").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    if (aug_print(aug, out.file(), path.get()) < 0) return ThrowAugeasError(env, aug);
    return out.Take(env, asBuffer);
  }

  // srun(text, asBuffer) -> { result, output }: result is aug_srun's (the
  // number of commands run, or -2 after `quit`); -1 throws, with `output`.
  Napi::Value Srun(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg text;
    bool asBuffer = false;
    if (aug == nullptr || !text.Read(env, info[0], "text") || !ReadAsBuffer(env, info[1], &asBuffer))
      return Napi::Value();
    MemoryOutput out;
    if (out.file() == nullptr) {
      Napi::Error::New(env, "srun: cannot open an output stream").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    int r = aug_srun(aug, out.file(), text.get());
    Napi::Value output = out.Take(env, asBuffer);
    if (r == -1) return ThrowAugeasError(env, aug, "EFAILED", output);
    Napi::Object o = Napi::Object::New(env);
    o.Set("result", r);
    o.Set("output", output);
    return o;
  }

  // The aug_ns_* calls take (name, index[, asBuffer]); index is 0-based.
  Napi::Value NsAttr(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    NsArgs a;
    if (aug == nullptr || !a.Read(env, info)) return Napi::Value();
    const char* value = nullptr;
    const char* label = nullptr;
    char* file = nullptr;
    if (aug_ns_attr(aug, a.name.get(), a.index, &value, &label, &file) < 0) {
      std::free(file);
      return ThrowAugeasError(env, aug);
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("value", MakeText(env, value, a.asBuffer));
    o.Set("label", MakeText(env, label, a.asBuffer));
    o.Set("file", TakeText(env, file, a.asBuffer));
    return o;
  }

  Napi::Value NsLabel(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    NsArgs a;
    if (aug == nullptr || !a.Read(env, info)) return Napi::Value();
    const char* label = nullptr;
    int sibling = 0;
    if (aug_ns_label(aug, a.name.get(), a.index, &label, &sibling) < 0) return ThrowAugeasError(env, aug);
    Napi::Object o = Napi::Object::New(env);
    o.Set("label", MakeText(env, label, a.asBuffer));
    o.Set("index", sibling);
    return o;
  }

  Napi::Value NsValue(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    NsArgs a;
    if (aug == nullptr || !a.Read(env, info)) return Napi::Value();
    const char* value = nullptr;
    if (aug_ns_value(aug, a.name.get(), a.index, &value) < 0) return ThrowAugeasError(env, aug);
    return MakeText(env, value, a.asBuffer);
  }

  // -1 (libaugeas sets no error code) when there is no such variable or it
  // holds no node set; the wrapper explains.
  Napi::Value NsCount(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    TextArg name;
    if (aug == nullptr || !name.Read(env, info[0], "name")) return Napi::Value();
    return Napi::Number::New(env, aug_ns_count(aug, name.get()));
  }

  Napi::Value NsPath(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    augeas* aug = Open(env);
    NsArgs a;
    if (aug == nullptr || !a.Read(env, info)) return Napi::Value();
    char* path = nullptr;
    if (aug_ns_path(aug, a.name.get(), a.index, &path) < 0) {
      std::free(path);
      return ThrowAugeasError(env, aug);
    }
    return TakeText(env, path, a.asBuffer);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (aug_ != nullptr) {
      aug_close(aug_);
      aug_ = nullptr;
    }
    return info.Env().Undefined();
  }
};

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) {
    ThrowTypeError(env, "errorClass", " must be a constructor");
    return Napi::Value();
  }
  env.GetInstanceData<AddonData>()->errorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonData());
  exports.Set("AugeasHandle", AugeasHandle::Define(env));
  exports.Set("setErrorClass", Napi::Function::New<SetErrorClass>(env, "setErrorClass"));
  // Flag values come from the header so the TS side never hard-codes them.
  Napi::Object flags = Napi::Object::New(env);
  flags.Set("SAVE_BACKUP", static_cast<uint32_t>(AUG_SAVE_BACKUP));
  flags.Set("SAVE_NEWFILE", static_cast<uint32_t>(AUG_SAVE_NEWFILE));
  flags.Set("TYPE_CHECK", static_cast<uint32_t>(AUG_TYPE_CHECK));
  flags.Set("NO_STDINC", static_cast<uint32_t>(AUG_NO_STDINC));
  flags.Set("SAVE_NOOP", static_cast<uint32_t>(AUG_SAVE_NOOP));
  flags.Set("NO_LOAD", static_cast<uint32_t>(AUG_NO_LOAD));
  flags.Set("NO_MODL_AUTOLOAD", static_cast<uint32_t>(AUG_NO_MODL_AUTOLOAD));
  flags.Set("ENABLE_SPAN", static_cast<uint32_t>(AUG_ENABLE_SPAN));
  exports.Set("flags", flags);
  return exports;
}

}  // namespace

NODE_API_MODULE(augeas, Init)

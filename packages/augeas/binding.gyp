{
  "targets": [
    {
      "target_name": "augeas",
      "sources": ["src/native/augeas.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "cflags_cc": ["<!@(pkg-config --cflags augeas)", "-std=c++17", "-Wall", "-Wextra"],
      "libraries": ["<!@(pkg-config --libs augeas)"],
      # NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS: when a worker is terminated during a call,
      # throwing into its dying environment fails; node-addon-api then returns quietly instead
      # of aborting the whole process.
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ]
    }
  ]
}

{
  "targets": [
    {
      "target_name": "agentsight",
      "sources": [
        "native/addon.cc",
        "native/libbpf-log.cc",
        "native/loader.cc",
        "native/poll-thread.cc",
        "native/yield-policy.cc",
        "native/exec-hold.cc",
        "native/hand-off.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall"],
      "libraries": ["<!@(pkg-config --libs libbpf)", "-lelf", "-lz"]
    }
  ]
}

// The translation unit that owns the test files' precompiled header (tests/CMakeLists.txt);
// it defines nothing.

#pragma once

#include <bit>

// The wire format is the raw bytes of the packed structs in this folder, little-endian, sent
// without a serialization step. A big-endian host would need byte swaps, which nothing here
// does: refuse to build there rather than send wrong bytes.
static_assert(std::endian::native == std::endian::little,
              "protocol structs are sent as raw little-endian bytes");

// SPDX-License-Identifier: MIT
// Page contents as the model sees them: one Stamp per 4 KiB block. The
// kernel driver fills the pages it returns with a stamp's pattern, and the
// kernel reads the stamps back from data a pager supplies, so the model can
// follow which data went where without comparing bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "emmi/model/types.h"

namespace emmi::mach {

using emmi::model::kBlockSize;
using emmi::model::Stamp;

// Writes the block for `stamp` (kBlockSize bytes): all zero for stamp 0,
// otherwise the stamp repeated as 64-bit words.
inline void fill_block(void* block, Stamp stamp) {
  auto* w = static_cast<std::uint64_t*>(block);
  for (std::size_t i = 0; i < kBlockSize / sizeof(std::uint64_t); ++i) w[i] = stamp;
}

// The stamp of a block: 0 when all zero, the repeated word when the block
// holds one, and otherwise a 64-bit hash of the bytes with the top bit set
// (data the pager made up itself still gets a stable identity). A repeated
// word with the top bit set reads as that word too, so that the block the
// kernel writes for a hashed stamp (fill_block) reads back as the same
// stamp: a page of made-up data the kernel pages out and gets back keeps
// its identity (without this the round trip changed it, and the model saw
// the pager supply other contents than it was given).
inline Stamp read_block(const void* block) {
  const auto* b = static_cast<const std::uint8_t*>(block);
  std::uint64_t first;
  std::memcpy(&first, b, sizeof first);
  bool repeated = true;
  for (std::size_t i = sizeof first; i < kBlockSize && repeated; i += sizeof first) {
    std::uint64_t w;
    std::memcpy(&w, b + i, sizeof w);
    repeated = w == first;
  }
  if (repeated) return first;
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (std::size_t i = 0; i < kBlockSize; ++i) {
    h ^= b[i];
    h *= 1099511628211ull;
  }
  return h | (std::uint64_t{1} << 63);
}

// Fills `bytes` (a multiple of kBlockSize long) block by block.
inline void fill_blocks(std::span<std::uint8_t> bytes, std::span<const Stamp> stamps) {
  for (std::size_t i = 0; i < stamps.size() && (i + 1) * kBlockSize <= bytes.size(); ++i)
    fill_block(bytes.data() + i * kBlockSize, stamps[i]);
}

// The stamps of `size` bytes at `data`; a partial last block counts as a
// block padded with zeros.
inline std::vector<Stamp> read_blocks(const void* data, std::size_t size) {
  std::vector<Stamp> out;
  const auto* b = static_cast<const std::uint8_t*>(data);
  std::size_t at = 0;
  for (; at + kBlockSize <= size; at += kBlockSize) out.push_back(read_block(b + at));
  if (at < size) {
    std::vector<std::uint8_t> tail(kBlockSize, 0);
    std::memcpy(tail.data(), b + at, size - at);
    out.push_back(read_block(tail.data()));
  }
  return out;
}

}  // namespace emmi::mach

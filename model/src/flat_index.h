// SPDX-License-Identifier: MIT
// A small open-addressing map from an integer key (port name, thread, region)
// to a dense record index. The model never erases: port names are not reused
// by the simulated kernel, and a record whose rights are gone simply holds
// zero. Lookups and inserts allocate only when the table grows.
#pragma once

#include <cstdint>
#include <vector>

namespace emmi::model::detail {

inline constexpr std::uint32_t kNoIndex = ~std::uint32_t{0};

template <class Key>
class FlatIndex {
 public:
  FlatIndex() { rehash(64); }

  std::uint32_t find(Key key) const {
    for (std::size_t i = slot_of(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.value == kNoIndex) return kNoIndex;
      if (s.key == key) return s.value;
    }
  }

  // Maps `key` to `value` if absent; returns the index now mapped.
  std::uint32_t insert(Key key, std::uint32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    for (std::size_t i = slot_of(key);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.value == kNoIndex) {
        s = Slot{key, value};
        ++size_;
        return value;
      }
      if (s.key == key) return s.value;
    }
  }

 private:
  struct Slot {
    Key key{};
    std::uint32_t value = kNoIndex;
  };

  std::size_t slot_of(Key key) const {
    // Fibonacci hashing: names are often consecutive, which this spreads.
    return static_cast<std::size_t>((static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ull) >>
                                    shift_);
  }

  void rehash(std::size_t capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64;
    for (std::size_t c = capacity; c > 1; c >>= 1) --shift_;
    size_ = 0;
    for (const Slot& s : old)
      if (s.value != kNoIndex) insert(s.key, s.value);
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::size_t size_ = 0;
};

}  // namespace emmi::model::detail

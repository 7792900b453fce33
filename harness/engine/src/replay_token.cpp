// SPDX-License-Identifier: MIT
// Replay tokens; see replay_token.h.
#include "emmi/engine/replay_token.h"

#include <array>

#include "emmi/properties/command_specs.h"

namespace emmi::engine {

namespace {

constexpr std::string_view kPrefix = "emmi2:";
constexpr std::size_t kHeaderBytes = 12;  // seed 8, strategy 1, depth 1, count 2
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64(const std::string& bytes) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

std::optional<std::string> unbase64(std::string_view text) {
  std::array<int, 256> value;
  value.fill(-1);
  for (int i = 0; i < 64; ++i) value[static_cast<unsigned char>(kAlphabet[i])] = i;
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : text) {
    int v = value[static_cast<unsigned char>(ch)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

void put(std::string& s, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get(std::string_view s, std::size_t& at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= std::uint64_t(static_cast<unsigned char>(s[at++])) << (8 * i);
  return v;
}

constexpr int kCommandBytes = 7;

}  // namespace

std::string encode_replay_token(const CaseSpec& spec) {
  std::string raw;
  put(raw, spec.schedule_seed, 8);
  put(raw, static_cast<std::uint8_t>(spec.strategy), 1);
  put(raw, spec.pct_depth, 1);
  put(raw, spec.commands.size(), 2);
  for (const Command& c : spec.commands) {
    put(raw, static_cast<std::uint8_t>(c.kind), 1);
    put(raw, c.kernel, 1);
    put(raw, c.object, 1);
    put(raw, c.other_kernel, 1);
    put(raw, c.page, 2);
    put(raw, (c.write ? 1u : 0u) | (c.dirty ? 2u : 0u), 1);
  }
  return std::string(kPrefix) + base64(raw);
}

std::optional<CaseSpec> decode_replay_token(std::string_view token) {
  if (token.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  auto raw = unbase64(token.substr(kPrefix.size()));
  if (!raw || raw->size() < kHeaderBytes) return std::nullopt;
  std::size_t at = 0;
  CaseSpec spec;
  spec.schedule_seed = get(*raw, at, 8);
  auto strategy = get(*raw, at, 1);
  if (strategy > static_cast<std::uint64_t>(mach::Strategy::pct)) return std::nullopt;
  spec.strategy = static_cast<mach::Strategy>(strategy);
  spec.pct_depth = static_cast<std::uint8_t>(get(*raw, at, 1));
  std::size_t n = get(*raw, at, 2);
  if (raw->size() != kHeaderBytes + n * kCommandBytes) return std::nullopt;
  for (std::size_t i = 0; i < n; ++i) {
    Command c{};
    auto kind = get(*raw, at, 1);
    if (kind >= properties::command_specs().size()) return std::nullopt;
    c.kind = static_cast<CommandKind>(kind);
    c.kernel = static_cast<std::uint8_t>(get(*raw, at, 1));
    c.object = static_cast<std::uint8_t>(get(*raw, at, 1));
    c.other_kernel = static_cast<std::uint8_t>(get(*raw, at, 1));
    c.page = static_cast<std::uint16_t>(get(*raw, at, 2));
    auto flags = get(*raw, at, 1);
    if (flags > 3) return std::nullopt;
    c.write = flags & 1;
    c.dirty = flags & 2;
    spec.commands.push_back(c);
  }
  return spec;
}

}  // namespace emmi::engine

// SPDX-License-Identifier: MIT
// See page_text.h. Only the entities the XNU pages use are decoded by name;
// numeric references are decoded for ASCII, which is all the quotes need.
#include "page_text.h"

#include <cctype>
#include <fstream>
#include <sstream>

namespace emmi::catalogue::testing {
namespace {

struct Entity {
  std::string_view name;
  char replacement;
};
constexpr Entity kEntities[] = {{"amp", '&'},  {"lt", '<'},    {"gt", '>'},
                                {"quot", '"'}, {"apos", '\''}, {"nbsp", ' '}};

// Decodes the entity starting at text[i] == '&'; returns the characters it
// consumed (0 when it is not an entity we know) and sets `out`.
std::size_t decode_entity(std::string_view text, std::size_t i, char& out) {
  std::size_t semi = text.find(';', i);
  if (semi == std::string_view::npos || semi - i > 10) return 0;
  std::string_view name = text.substr(i + 1, semi - i - 1);
  if (!name.empty() && name[0] == '#') {
    int code = 0;
    bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
    std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty()) return 0;
    for (char c : digits) {
      int v;
      if (std::isdigit(static_cast<unsigned char>(c)))
        v = c - '0';
      else if (hex && std::isxdigit(static_cast<unsigned char>(c)))
        v = std::tolower(c) - 'a' + 10;
      else
        return 0;
      code = code * (hex ? 16 : 10) + v;
      if (code > 0x7f) return 0;
    }
    out = code == 0xa0 ? ' ' : static_cast<char>(code);
    return semi - i + 1;
  }
  for (const Entity& e : kEntities)
    if (e.name == name) {
      out = e.replacement;
      return semi - i + 1;
    }
  return 0;
}

}  // namespace

std::string collapse_whitespace(std::string_view text) {
  std::string out;
  bool pending_space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string page_text(std::string_view html) {
  std::string stripped;
  for (std::size_t i = 0; i < html.size(); ++i) {
    char c = html[i];
    if (c == '<') {
      // A tag vanishes without leaving a space: the pages put tags inside
      // words ("<b>MIG_NO_REPLY</b>will"), and the quotes keep that.
      std::size_t close = html.find('>', i);
      if (close == std::string_view::npos) break;
      i = close;
      continue;
    }
    if (c == '&') {
      char decoded;
      if (std::size_t used = decode_entity(html, i, decoded); used != 0) {
        stripped += decoded;
        i += used - 1;
        continue;
      }
    }
    stripped += c;
  }
  return collapse_whitespace(stripped);
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace emmi::catalogue::testing

// SPDX-License-Identifier: MIT
// Loading and validating a pager under test; see pager_library.h.
#include "emmi/engine/pager_library.h"

#include <dlfcn.h>
#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "emmi/pager_abi.h"
#include "sha256.h"

namespace emmi::engine {

bool wants_executable_stack(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Elf64_Ehdr eh{};
  if (!in.read(reinterpret_cast<char*>(&eh), sizeof eh)) return false;
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_phentsize != sizeof(Elf64_Phdr))
    return false;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    in.seekg(static_cast<std::streamoff>(eh.e_phoff + i * sizeof ph));
    if (!in.read(reinterpret_cast<char*>(&ph), sizeof ph)) return false;
    if (ph.p_type == PT_GNU_STACK) return (ph.p_flags & PF_X) != 0;
  }
  // No PT_GNU_STACK: the dynamic loader gives such an object the x86-64
  // default, an executable stack.
  return eh.e_machine == EM_X86_64;
}

std::string load_failure(const std::string& path, const std::string& dl_error, bool exec_stack) {
  std::string msg = fmt::format("--pager '{}': cannot load it as a shared object: {}", path,
                                dl_error);
  if (exec_stack)
    msg += fmt::format(
        "\n  '{}' asks for an executable stack (its PT_GNU_STACK segment is executable, or it "
        "has none). GCC does that for nested functions whose address is taken (trampolines), "
        "and glibc 2.41 and later refuse to dlopen such objects. Rebuild the pager without "
        "them, or, if nothing needs the stack executable, link it with -Wl,-z,noexecstack "
        "(check with: readelf -lW {} | grep GNU_STACK).",
        path, path);
  return msg;
}

PagerLibrary PagerLibrary::load(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw InputError(path, fmt::format("--pager '{}': no such file", path));
  if (!S_ISREG(st.st_mode))
    throw InputError(path,
                     fmt::format("--pager '{}': not a regular file (expected a shared object)",
                                 path));
  PagerLibrary lib;
  lib.path = path;
  try {
    lib.sha256 = sha256_file(path);
  } catch (const std::exception& e) {
    throw InputError(path, fmt::format("--pager '{}': {}", path, e.what()));
  }
  // A path without a slash would make dlopen() search the library path.
  std::string open_path = path.find('/') == std::string::npos ? "./" + path : path;
  lib.handle = ::dlopen(open_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib.handle) {
    const std::string err = ::dlerror();
    throw InputError(path, load_failure(path, err, wants_executable_stack(path)));
  }
  auto entry = reinterpret_cast<emmi_pager_entry_fn>(::dlsym(lib.handle, EMMI_PAGER_ENTRY_SYMBOL));
  if (!entry)
    throw InputError(
        path, fmt::format("--pager '{}': not a pager: it does not export {} (see emmi/pager_abi.h)",
                          path, EMMI_PAGER_ENTRY_SYMBOL));
  lib.pager = entry();
  if (!lib.pager)
    throw InputError(path, fmt::format("--pager '{}': {}() returned NULL", path,
                                       EMMI_PAGER_ENTRY_SYMBOL));
  if (lib.pager->abi_version < EMMI_PAGER_ABI_VERSION_MIN ||
      lib.pager->abi_version > EMMI_PAGER_ABI_VERSION)
    throw InputError(
        path,
        fmt::format(
            "--pager '{}': built for pager ABI version {}, this emmi-cts speaks versions {} to {}",
            path, lib.pager->abi_version, EMMI_PAGER_ABI_VERSION_MIN, EMMI_PAGER_ABI_VERSION));
  // Version 2's optional actions; a version 1 struct ends after stop().
  if (lib.pager->abi_version >= 2) {
    const emmi_pager& p = *lib.pager;
    if (p.sync != nullptr) lib.actions |= kPagerSync;
    if (p.flush != nullptr) lib.actions |= kPagerFlush;
    if (p.change_attributes != nullptr) lib.actions |= kPagerChangeAttributes;
    if (p.shutdown != nullptr) lib.actions |= kPagerShutdown;
    if (p.read_store != nullptr) lib.actions |= kPagerReadStore;
  }
  if (!lib.pager->start || !lib.pager->stop)
    throw InputError(path,
                     fmt::format("--pager '{}': its emmi_pager has no start() or stop()", path));
  lib.name = lib.pager->name ? lib.pager->name : std::filesystem::path(path).stem().string();
  // Optional: without the symbol the pager plays the ordinary role only.
  if (const auto* roles = static_cast<const std::uint32_t*>(
          ::dlsym(lib.handle, EMMI_PAGER_ROLES_SYMBOL))) {
    constexpr std::uint32_t known = EMMI_PAGER_ROLE_PAGER | EMMI_PAGER_ROLE_DEFAULT;
    if (*roles == 0 || (*roles & ~known) != 0)
      throw InputError(path,
                       fmt::format("--pager '{}': {} is 0x{:x}; expected a non-empty mask of "
                                   "EMMI_PAGER_ROLE_PAGER (0x{:x}) "
                                   "and EMMI_PAGER_ROLE_DEFAULT (0x{:x}) (see emmi/pager_abi.h)",
                                   path, EMMI_PAGER_ROLES_SYMBOL, *roles, EMMI_PAGER_ROLE_PAGER,
                                   EMMI_PAGER_ROLE_DEFAULT));
    lib.roles = *roles;
  }
  // Optional: without it SY6 and SY8 are not checked.
  if (lib.pager->abi_version >= 2) {
    lib.read_backing_store = reinterpret_cast<emmi_pager_read_backing_store_fn>(
        ::dlsym(lib.handle, EMMI_PAGER_READ_BACKING_STORE_SYMBOL));
    if (lib.read_backing_store != nullptr) lib.actions |= kPagerReadBackingStore;
  }
  // Optional too: without it the pager is a plain GNU Mach pager.
  if (const auto* dialects = static_cast<const std::uint32_t*>(
          ::dlsym(lib.handle, EMMI_PAGER_DIALECTS_SYMBOL))) {
    constexpr std::uint32_t known = EMMI_PAGER_SERVES_GNUMACH | EMMI_PAGER_SERVES_GNUMACH_SEQNOS |
                                    EMMI_PAGER_SERVES_OSF;
    if (*dialects == 0 || (*dialects & ~known) != 0)
      throw InputError(
          path,
          fmt::format(
              "--pager '{}': {} is 0x{:x}; expected a non-empty mask of EMMI_PAGER_SERVES_GNUMACH "
              "(0x{:x}), EMMI_PAGER_SERVES_GNUMACH_SEQNOS (0x{:x}) and EMMI_PAGER_SERVES_OSF "
              "(0x{:x}) "
              "(see emmi/pager_abi.h)",
              path, EMMI_PAGER_DIALECTS_SYMBOL, *dialects, EMMI_PAGER_SERVES_GNUMACH,
              EMMI_PAGER_SERVES_GNUMACH_SEQNOS, EMMI_PAGER_SERVES_OSF));
    lib.dialects = *dialects;
  }
  return lib;
}

namespace {

struct DialectBit {
  std::string_view name;
  std::uint32_t bit;
};
constexpr DialectBit kDialectBits[] = {{"gnumach", EMMI_PAGER_SERVES_GNUMACH},
                                       {"gnumach-seqnos", EMMI_PAGER_SERVES_GNUMACH_SEQNOS},
                                       {"osf", EMMI_PAGER_SERVES_OSF}};

}  // namespace

std::string dialects_text(std::uint32_t mask) {
  std::string out;
  for (const DialectBit& d : kDialectBits)
    if (mask & d.bit) out += fmt::format("{}{}", out.empty() ? "" : ", ", d.name);
  return out.empty() ? "none declared" : out;
}

std::string resolve_dialect(const PagerLibrary& lib, std::string_view requested) {
  if (requested == "auto") {
    // A GNU Mach dialect first: a pager that serves GNU Mach and OSF is run
    // as a GNU Mach pager unless --dialect osf asks for the other one.
    if (lib.dialects & EMMI_PAGER_SERVES_GNUMACH_SEQNOS) return "gnumach-seqnos";
    if (lib.dialects == 0 || (lib.dialects & EMMI_PAGER_SERVES_GNUMACH)) return "gnumach";
    return "osf";  // the only bit left (PagerLibrary::load refuses unknown ones)
  }
  const DialectBit* named = nullptr;
  for (const DialectBit& d : kDialectBits)
    if (d.name == requested) named = &d;
  if (named == nullptr)
    throw InputError("--dialect", fmt::format("--dialect '{}': expected auto (the default: the "
                                              "dialects the pager declares), gnumach, "
                                              "gnumach-seqnos or osf",
                                              requested));
  // A pager that declares nothing predates the declaration: it is a GNU
  // Mach pager (its stubs are GNU Mach's), judged by either GNU Mach
  // dialect the user names, but never run against OSF kernels.
  if (lib.dialects == 0 && named->bit == EMMI_PAGER_SERVES_OSF)
    throw InputError(
        "--dialect",
        fmt::format(
            "--dialect 'osf': the pager '{}' ({}) does not declare the OSF dialect: it exports no "
            "{}, so it is taken for a GNU Mach pager; an OSF pager (linked with "
            "emmi_pager_api_osf) declares EMMI_PAGER_SERVES_OSF there",
            lib.path, lib.name, EMMI_PAGER_DIALECTS_SYMBOL));
  if (lib.dialects != 0 && (lib.dialects & named->bit) == 0)
    throw InputError(
        "--dialect",
        fmt::format(
            "--dialect '{}': the pager '{}' ({}) does not serve it: its {} declares {}; drop "
            "--dialect (auto) or name one of those",
            requested, lib.path, lib.name, EMMI_PAGER_DIALECTS_SYMBOL,
            dialects_text(lib.dialects)));
  return std::string(requested);
}

bool PagerLibrary::default_role() const { return (roles & EMMI_PAGER_ROLE_DEFAULT) != 0; }
bool PagerLibrary::pager_role() const { return (roles & EMMI_PAGER_ROLE_PAGER) != 0; }

World world_for(const PagerLibrary& lib, World world) {
  world.default_pager = lib.default_role();
  world.pager_actions = lib.pager_role() ? lib.actions : 0;
  if (!lib.pager_role()) world.objects = 0;
  return world;
}

std::string default_pager_path() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  const char* file = "libemmi_reference_pager.so";
  if (!ec) {
    auto dir = exe.parent_path();
    for (auto candidate : {dir / ".." / "lib" / file, dir / ".." / "lib" / "emmi-cts" / file}) {
      if (std::filesystem::exists(candidate, ec)) return candidate.lexically_normal().string();
    }
  }
  return file;
}

}  // namespace emmi::engine

// SPDX-License-Identifier: MIT
// Loading a pager under test: a shared object implementing the entry ABI
// (emmi/pager_abi.h). Every way the input can be wrong gets an error that
// names the file and what was expected.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "emmi/engine/profile.h"
#include "emmi/errors.h"

struct emmi_pager;

namespace emmi::engine {

struct PagerLibrary {
  std::string path;    // as given
  std::string sha256;  // of the file's bytes
  std::string name;    // the pager's own name (emmi_pager::name)
  const emmi_pager* pager = nullptr;
  void* handle = nullptr;
  // The roles the pager declares (emmi_pager_roles, emmi/pager_abi.h): a
  // mask of EMMI_PAGER_ROLE_*; an ordinary pager (ROLE_PAGER) without it.
  std::uint32_t roles = 1;
  // The dialects the pager declares it serves (emmi_pager_dialects,
  // emmi/pager_abi.h): a mask of EMMI_PAGER_SERVES_*, or 0 when it exports
  // no such symbol (a plain GNU Mach pager; see resolve_dialect).
  std::uint32_t dialects = 0;
  // The pager's own actions it provides (entry ABI version 2): a mask of
  // kPager* (profile.h); 0 for a version 1 pager.
  std::uint32_t actions = 0;
  // emmi_pager_read_backing_store, or null (then actions lacks
  // kPagerReadBackingStore); the type is emmi/pager_abi.h's
  // emmi_pager_read_backing_store_fn (kern_return_t is an int).
  int (*read_backing_store)(std::uint32_t object, std::uint64_t offset, void* buffer,
                            std::uint64_t length) = nullptr;

  // The default-pager role: the suite makes the pager's task privileged,
  // expects start() to register a default memory manager, and creates
  // temporary objects.
  bool default_role() const;
  // The ordinary role: start() offers world.objects objects of its own.
  bool pager_role() const;

  // dlopen()s `path`, finds emmi_pager_entry, checks the ABI version and
  // start/stop. Throws emmi::InputError (naming `path`) otherwise. The library stays loaded for the
  // life of the process (children of fork() inherit it).
  static PagerLibrary load(const std::string& path);
};

// The world a case plays against `lib`: `world` with the default-pager
// commands enabled when the pager declares that role, and no objects of
// its own when it declares no other (start() is called with object_count 0).
// The pager's own actions it provides are called in every dialect: with
// OSF kernels the pager makes them with the OSF control calls, and the
// model reads an OSF change_attributes' caching attribute from its flavour's
// structure (model/SEMANTICS.md, "OSF dialect").
World world_for(const PagerLibrary& lib, World world);

// The dialect a run judges `lib` by, spelled as the catalogue spells it
// ("gnumach", "gnumach-seqnos", "osf"), for `requested`, the --dialect value:
//   "auto"  the pager's declaration: gnumach-seqnos when it declares the
//           SEQNOS stubs (also when it declares the plain ones as well: the
//           wire is the same, and the SEQNOS rules are the stricter
//           reading), else gnumach; osf when OSF is all it declares; a
//           pager that declares nothing is a plain GNU Mach pager, gnumach.
//           A pager declaring a GNU Mach dialect and OSF gets the GNU Mach
//           one: --dialect osf runs it against OSF kernels;
//   a name  that dialect, if the pager declares it; a pager that declares
//           nothing (from before emmi_pager_dialects) may be judged by
//           either GNU Mach dialect, but not by osf (its stubs are GNU
//           Mach's).
// Throws emmi::InputError ("--dialect") for an unknown name and for a
// dialect the pager does not serve, naming the pager and what it declares.
std::string resolve_dialect(const PagerLibrary& lib, std::string_view requested);

// The dialects of an emmi_pager_dialects mask as words ("gnumach,
// gnumach-seqnos"), or "none declared" for 0.
std::string dialects_text(std::uint32_t mask);

// Whether the ELF shared object at `path` asks for an executable stack
// (PT_GNU_STACK with PF_X, or no PT_GNU_STACK on x86-64): GCC nested
// functions need one, and glibc 2.41+ refuses to dlopen such objects.
bool wants_executable_stack(const std::string& path);

// The emmi::InputError text for a failed dlopen of `path`: the loader's error and,
// when the object wants an executable stack, what that means and what to do.
std::string load_failure(const std::string& path, const std::string& dl_error, bool exec_stack);

// Where the bundled reference pager is, relative to the running executable
// (build tree: bin/../lib; installed: bin/../lib/emmi-cts).
std::string default_pager_path();

}  // namespace emmi::engine

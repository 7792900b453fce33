# SPDX-License-Identifier: MIT
# EmmiMig: generate Mach RPC stubs at build time with GNU MIG (${EMMI_MIG},
# Debian's x86_64-gnu-mig) from the real GNU Mach .defs files.
#
# Every run passes -D__x86_64__. Debian's MIG wrapper preprocesses with
# `-undef`, and without that define mach_types.defs picks 32-bit
# vm_size_t/vm_offset_t: memory_object_init would silently become 56 bytes
# instead of 60 (spec/gnumach-kernel.md, section 1d).
#
#   emmi_mig(<var>
#     DEFS <file>            e.g. mach/memory_object.defs (relative to
#                            EMMI_GNUMACH_INCLUDE_DIR, else to the current
#                            source dir) or an absolute path
#     OUTPUT_DIR <dir>       where the files go; one directory per variant,
#                            because MIG names its files after the .defs
#     [NAME <base>]          base of the generated file names (default: the
#                            .defs stem)
#     [SEQNOS]               -DSEQNOS: seqnos_ server prefix and demux
#     [SERVER]               <base>Server.c
#     [USER]                 <base>User.c (every routine)
#     [USER_ROUTINES r ...]  only these user stubs, one file each (MIG -i):
#                            <base>_<routine>.c
#     [HEADER]               <base>.h, the user-side prototypes (also
#                            written whenever user stubs are)
#     [SERVER_HEADER]        <base>_S.h, the server-side prototypes
#     [HEADER_DIR <dir>]     where the headers go (default OUTPUT_DIR); user
#                            stubs then need HEADER_DIR on their include path
#     [SERVER_PREFIX <p>]    MIG -prefix: renames every generated function,
#                            the server's handlers and demux included (Hurd
#                            libpager: _pager_)
#     [SUBRPREFIX <p>]       MIG -subrprefix: the prefix of the calls the user
#                            stubs make (glibc and the Hurd: __, so stubs call
#                            __mach_msg, which <mach.h> provides)
#     [IMACROS <file> ...]   -imacros <file>: the Hurd's mig-mutate.h, which
#                            defines <SUBSYSTEM>_INTRAN, _INTRAN_PAYLOAD,
#                            _DESTRUCTOR and _IMPORTS for the .defs (relative
#                            paths are taken from the current source dir)
#     [HURD_SERVER]          -DSERVERPREFIX=S_ -DHURD_SERVER=1, as the Hurd's
#                            Makeconf passes for every server it generates
#     [INCLUDE_DIRS <d> ...] more -I directories for the .defs imports
#     [DEFINES <D[=V]> ...]  more preprocessor definitions
#   )
#
# Sets <var>_SOURCES (generated .c files), <var>_HEADERS, <var>_DIR and
# <var>_HEADER_DIR.
# The rule depends on the .defs, on every .defs it can include and on the MIG
# binary, so a gnumach-dev or mig upgrade regenerates the stubs.

function(emmi_mig var)
  cmake_parse_arguments(PARSE_ARGV 1 M
    "SEQNOS;SERVER;USER;HEADER;SERVER_HEADER;HURD_SERVER"
    "DEFS;OUTPUT_DIR;HEADER_DIR;NAME;SERVER_PREFIX;SUBRPREFIX"
    "USER_ROUTINES;DEFINES;IMACROS;INCLUDE_DIRS")
  if(NOT M_DEFS OR NOT M_OUTPUT_DIR)
    message(FATAL_ERROR "emmi_mig(${var}): DEFS and OUTPUT_DIR are required")
  endif()
  if(NOT EMMI_MIG)
    message(FATAL_ERROR "emmi_mig(${var}): EMMI_MIG (x86_64-gnu-mig) not found; "
                        "Debian: apt-get install mig-x86-64-gnu")
  endif()
  if(M_USER AND M_USER_ROUTINES)
    message(FATAL_ERROR "emmi_mig(${var}): USER and USER_ROUTINES exclude each other")
  endif()

  if(IS_ABSOLUTE "${M_DEFS}")
    set(defs "${M_DEFS}")
  elseif(EXISTS "${EMMI_GNUMACH_INCLUDE_DIR}/${M_DEFS}")
    set(defs "${EMMI_GNUMACH_INCLUDE_DIR}/${M_DEFS}")
  else()
    # A .defs of the project's own.
    set(defs "${CMAKE_CURRENT_SOURCE_DIR}/${M_DEFS}")
  endif()
  if(NOT EXISTS "${defs}")
    message(FATAL_ERROR "emmi_mig(${var}): ${defs} does not exist (gnumach-dev?)")
  endif()
  get_filename_component(stem "${defs}" NAME_WE)
  if(M_NAME)
    set(base "${M_NAME}")
  else()
    set(base "${stem}")
  endif()
  set(dir "${M_OUTPUT_DIR}")
  if(M_HEADER_DIR)
    set(hdir "${M_HEADER_DIR}")
  else()
    set(hdir "${dir}")
  endif()

  set(args -D__x86_64__)
  foreach(d IN LISTS M_INCLUDE_DIRS)
    get_filename_component(d "${d}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND args "-I${d}")
  endforeach()
  list(APPEND args "-I${EMMI_GNUMACH_INCLUDE_DIR}")
  set(imacros)
  foreach(f IN LISTS M_IMACROS)
    get_filename_component(f "${f}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT EXISTS "${f}")
      message(FATAL_ERROR "emmi_mig(${var}): IMACROS ${f} does not exist")
    endif()
    list(APPEND args -imacros "${f}")
    list(APPEND imacros "${f}")
  endforeach()
  if(M_SEQNOS)
    list(APPEND args -DSEQNOS)
  endif()
  if(M_HURD_SERVER)
    list(APPEND args -DSERVERPREFIX=S_ -DHURD_SERVER=1)
  endif()
  foreach(d IN LISTS M_DEFINES)
    list(APPEND args "-D${d}")
  endforeach()
  if(M_SERVER_PREFIX)
    list(APPEND args -prefix "${M_SERVER_PREFIX}")
  endif()
  if(M_SUBRPREFIX)
    list(APPEND args -subrprefix "${M_SUBRPREFIX}")
  endif()

  set(sources)
  set(headers)
  set(byproducts)

  if(M_SERVER)
    list(APPEND args -server "${dir}/${base}Server.c")
    list(APPEND sources "${dir}/${base}Server.c")
  else()
    list(APPEND args -server /dev/null)
  endif()

  set(want_header ${M_HEADER})
  if(M_USER)
    list(APPEND args -user "${dir}/${base}User.c")
    list(APPEND sources "${dir}/${base}User.c")
    set(want_header ON)
  elseif(M_USER_ROUTINES)
    # -i writes one file per routine of the subsystem; only the requested
    # ones are compiled, the others are left as by-products.
    list(APPEND args -i "${dir}/${base}_")
    foreach(r IN LISTS M_USER_ROUTINES)
      list(APPEND sources "${dir}/${base}_${r}.c")
    endforeach()
    set(want_header ON)
  else()
    list(APPEND args -user /dev/null)
  endif()

  # The user stubs include their header as "<base>.h", next to themselves.
  if(want_header)
    list(APPEND args -header "${hdir}/${base}.h")
    list(APPEND headers "${hdir}/${base}.h")
  else()
    list(APPEND args -header /dev/null)
  endif()
  if(M_SERVER_HEADER)
    list(APPEND args -sheader "${hdir}/${base}_S.h")
    list(APPEND headers "${hdir}/${base}_S.h")
  endif()

  file(GLOB_RECURSE all_defs CONFIGURE_DEPENDS
       "${EMMI_GNUMACH_INCLUDE_DIR}/mach/*.defs"
       "${EMMI_GNUMACH_INCLUDE_DIR}/device/*.defs")
  # A .defs of the project's own may include its neighbours (the OSF
  # dialect's osf_types.defs).
  get_filename_component(defs_dir "${defs}" DIRECTORY)
  if(NOT defs_dir STREQUAL "${EMMI_GNUMACH_INCLUDE_DIR}/mach")
    file(GLOB near_defs CONFIGURE_DEPENDS "${defs_dir}/*.defs")
    list(APPEND all_defs ${near_defs})
  endif()

  file(MAKE_DIRECTORY "${dir}" "${hdir}")
  add_custom_command(
    OUTPUT ${sources} ${headers}
    COMMAND "${EMMI_MIG}" ${args} "${defs}"
    WORKING_DIRECTORY "${dir}"
    DEPENDS "${defs}" ${all_defs} ${imacros} "${EMMI_MIG}"
    COMMENT "MIG ${M_DEFS} -> ${base} ${M_DEFINES}"
    VERBATIM)

  set(${var}_SOURCES ${sources} PARENT_SCOPE)
  set(${var}_HEADERS ${headers} PARENT_SCOPE)
  set(${var}_DIR "${dir}" PARENT_SCOPE)
  set(${var}_HEADER_DIR "${hdir}" PARENT_SCOPE)
endfunction()

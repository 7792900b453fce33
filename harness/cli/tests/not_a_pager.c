/* SPDX-License-Identifier: MIT */
/* A shared object that loads fine but is not a pager: it exports a function,
   not emmi_pager_entry. emmi-cts must refuse it, naming the file and the
   missing symbol. */
__attribute__ ((visibility ("default"))) int
emmi_test_not_a_pager (void)
{
  return 42;
}

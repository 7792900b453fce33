/* SPDX-License-Identifier: MIT */
/* A shared object that asks for an executable stack, as a pager with GCC
   nested functions does (the trampoline of a nested function whose address
   is taken lives on the stack).  glibc 2.41 and later refuse to dlopen it;
   older ones load it, so it also needs a symbol nobody defines, which makes
   dlopen fail everywhere.  emmi-cts must say what the stack flag means and
   what to do, naming the file.  */
extern int emmi_test_symbol_nobody_defines (void);

static int
apply (int (*f) (int), int x)
{
  return f (x);
}

__attribute__ ((visibility ("default"))) int
emmi_test_execstack (int base)
{
  int add (int x) { return x + base; }
  return apply (add, 1) + emmi_test_symbol_nobody_defines ();
}

/* The shared library detail-target dlopen()s (built at test time with a GNU build id). */
int detail_lib_answer(void) { return 42; }

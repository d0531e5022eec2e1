#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>

/* Accessors for readline's global variables: Swift 6 refuses to touch imported mutable globals
   from Swift code, since it cannot prove them free of data races (the REPL uses them from its
   one thread, and from the SIGINT handler as readline's documentation shows). */
static inline void medsynth_readline_setup(const char *name, const char *word_breaks, rl_completion_func_t *complete) {
    rl_readline_name = name;
    rl_completer_word_break_characters = (char *)word_breaks;
    rl_attempted_completion_function = complete;
    rl_catch_signals = 0;
}
static inline const char *medsynth_line_buffer(void) { return rl_line_buffer; }
static inline void medsynth_completion_done(int suppress_append) {
    rl_attempted_completion_over = 1;
    rl_completion_suppress_append = suppress_append;
}
static inline void medsynth_flush_stdout(void) { fflush(stdout); }

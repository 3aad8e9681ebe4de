/* commands.h — the sub-commands of the multi-call `hone` binary.
 * Each lives in src/cli/cmd_<name>.c, parses its own options (and --help),
 * prints errors once and returns the process exit code. */
#ifndef HONE_CLI_COMMANDS_H
#define HONE_CLI_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_perplexity(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_pull(int argc, char **argv);

/* `hone info -m FILE [--json]`: describe a model (src/cli/info_model.c). */
int info_model(const char *path, int json);

#endif

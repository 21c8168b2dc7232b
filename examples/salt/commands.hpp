// examples/salt/commands.hpp — the subcommand table's entries. Each subcommand lives in its own
// cmd_<name>.cpp and exports one function; main.cpp lists them in kCommands.
//
// A command function receives the arguments after its name. It builds a salt::cli::Args, parses (which
// throws UsageError / HelpRequested), does its work and returns the exit code (0). Bad files and bad data
// throw salt::io::IoError. main() turns these into: usage on stdout + exit 0 (--help); message + usage on
// stderr + exit 2 (bad arguments); "salt <command>: <file>: <reason>" on stderr + exit 1 (bad files).
// Outputs are written to a temporary name and renamed, so a failed command leaves nothing half-written.
#pragma once

#include "args.hpp"

namespace salt::cli {

struct Command {
    const char* name;
    const char* summary;
    int (*run)(int argc, char** argv);
    Args (*make_args)();  // the command's options, for `salt <name> --help` and usage errors
};

Args synth_args();
int cmd_synth(int argc, char** argv);
Args show_args();
int cmd_show(int argc, char** argv);
Args stats_args();
int cmd_stats(int argc, char** argv);
Args info_args();
int cmd_info(int argc, char** argv);
Args forward_args();
int cmd_forward(int argc, char** argv);
Args train_args();
int cmd_train(int argc, char** argv);
Args eval_args();
int cmd_eval(int argc, char** argv);
Args predict_args();
int cmd_predict(int argc, char** argv);
Args export_embedded_args();
int cmd_export_embedded(int argc, char** argv);
Args quantize_args();
int cmd_quantize(int argc, char** argv);
Args bench_args();
int cmd_bench(int argc, char** argv);
Args segy_args();  // built with segyio only (SALT_CLI_SEGY)
int cmd_segy(int argc, char** argv);

}  // namespace salt::cli

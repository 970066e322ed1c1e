"""`tf-dynemb COMMAND [flags]`: the entry point that picks a subcommand.

Each subcommand is a module of this package with a docstring (its help), a
`define_flags(flag_values)` and a `run(flag_values, args)`. Flags are absl
flags, parsed into a `FlagValues` of the subcommand's own, so two subcommands
may define flags of one name. Bad arguments and bad input end in one line on
stderr and exit status 2 (usage) or 1 (input); a bug still shows its traceback.
The `tf-dynemb` command enters through `tf_dynemb_cli`, which answers the
overview and quiets logging before TensorFlow is imported.
"""

import importlib
import sys

from absl import flags

from tf_dynemb.cli.errors import CommandError
from tf_dynemb.cli.startup import COMMANDS, HELP_FLAGS, PROGRAM, VERBOSE_FLAG, overview, \
    wants_overview, without_verbose

def _module(name):
    return importlib.import_module(f"tf_dynemb.cli.{COMMANDS[name]}")


def command_help(name, module, flag_values):
    doc = (module.__doc__ or "").strip()
    return (f"{doc}\n\nflags:\n{flag_values.get_help(include_special_flags=False)}\n\n"
            f"  {VERBOSE_FLAG}: show TensorFlow's, absl's and Beam's log lines.")


def _fail(name, message, status):
    prefix = f"{PROGRAM} {name}" if name else PROGRAM
    text = " ".join(str(message).split())  # one line, whatever the message held
    print(f"{prefix}: error: {text}", file=sys.stderr)
    return status


def parse(name, module, argv):
    """Parses `argv` (the flags after the command name) into a fresh FlagValues;
    returns (flag_values, positional arguments)."""
    flag_values = flags.FlagValues()
    module.define_flags(flag_values)
    rest = flag_values([f"{PROGRAM} {name}"] + list(argv))
    return flag_values, rest[1:]


def main(argv=None):
    """Runs the command in `argv` (default: `sys.argv`); returns the exit status."""
    argv = list(sys.argv if argv is None else argv)
    if wants_overview(argv):
        print(overview())
        return 0
    # The entry point (tf_dynemb_cli) acts on --verbose before TensorFlow starts.
    _, argv = without_verbose(argv)
    name = argv[1]
    if name not in COMMANDS:
        return _fail(None, f"unknown command {name!r}; the commands are "
                           f"{', '.join(COMMANDS)}.", 2)
    module = _module(name)
    if any(arg in HELP_FLAGS for arg in argv[2:]):
        flag_values = flags.FlagValues()
        module.define_flags(flag_values)
        print(command_help(name, module, flag_values))
        return 0
    try:
        flag_values, args = parse(name, module, argv[2:])
    except flags.Error as e:
        return _fail(name, f"{e} (see {PROGRAM} {name} --help)", 2)
    if not flags.FLAGS.is_parsed():
        flags.FLAGS.mark_as_parsed()  # absl logging needs parsed global flags
    try:
        return module.run(flag_values, args) or 0
    except CommandError as e:
        return _fail(name, e, e.status)
    except (OSError, ValueError) as e:  # unreadable files, malformed vocabularies
        return _fail(name, e, 1)
    except KeyboardInterrupt:
        return _fail(name, "interrupted", 130)


if __name__ == "__main__":
    sys.exit(main())

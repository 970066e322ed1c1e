"""The `tf-dynemb` command's entry point (`python -m tf_dynemb_cli` is the same).

It sits outside the `tf_dynemb` package because importing the package imports
TensorFlow, and two things come first: `tf-dynemb --help` answers without
TensorFlow, and unless --verbose is given TensorFlow's, absl's and Beam's log
lines are hidden before TensorFlow starts.
"""

import importlib.util
import os
import sys


def _startup():
    """tf_dynemb/cli/startup.py, loaded by its path (the package stays unimported)."""
    package = importlib.util.find_spec("tf_dynemb")
    path = os.path.join(package.submodule_search_locations[0], "cli", "startup.py")
    spec = importlib.util.spec_from_file_location("tf_dynemb_cli_startup", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    startup = _startup()
    if startup.wants_overview(argv):
        print(startup.overview())
        return 0
    verbose, _ = startup.without_verbose(argv)
    if verbose:
        from tf_dynemb.cli.main import main as run
    else:
        startup.quiet_logging()
        with startup.stderr_held_back():
            from tf_dynemb.cli.main import main as run
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())

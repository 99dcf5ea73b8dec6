"""The ``instransfer`` command: ``demo`` and ``weigh``.

Run ``instransfer --help`` (or ``python -m instransfer --help``). Only
argparse is imported until a subcommand runs, so ``--help`` is instant.
"""

import argparse
import sys

__all__ = ["main"]


def _parser():
    from ._cli import _demo, _weigh

    parser = argparse.ArgumentParser(
        prog="instransfer",
        description=(
            "Instance-weighting transfer learning for tabular data: weigh source "
            "rows so that they resemble a target population, and check the result."
        ),
        epilog="Start with: instransfer demo",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _demo.add_parser(sub)
    _weigh.add_parser(sub)
    return parser


def _version():
    from . import __version__

    return f"instransfer {__version__}"


def main(argv=None):
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``).

    Parameters
    ----------
    argv : list of str or None, default=None
        Arguments after the program name.

    Returns
    -------
    status : int
        0 on success, 1 when a computation failed on the given data, 2 for
        bad arguments or input files.
    """
    from ._cli._common import CLIError, collected_warnings

    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version or an argparse usage error
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        with collected_warnings():
            return args.run(args)
    except CLIError as exc:
        print(f"instransfer {args.command}: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("instransfer: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

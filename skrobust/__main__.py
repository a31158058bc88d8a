"""Command line: ``python -m skrobust demo [--output DIR] [--seeds N]``."""

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skrobust",
        description="skrobust: scikit-learn estimators for noisy labels.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="compare plain and noise-robust models under label noise"
    )
    demo.add_argument("--output", default="skrobust_demo", help="folder for the plot")
    demo.add_argument("--seeds", type=int, default=3, help="repetitions per setting")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")

    from ._demo import run

    run(output=args.output, n_seeds=args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``zylon-doctor`` command: settings from the environment (and ``--base-url``,
``--org``), the token from ``ZYLON_API_TOKEN`` only, the checks of :func:`run_checks`,
their report as text or JSON, and the exit status."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from .._settings import ENV_API_TOKEN, ENV_BASE_URL, ZylonSettings, check_seconds
from ..errors import ConfigurationError
from . import CHECKS, configuration, run_checks, skip
from .report import CheckResult, Report

# A stand-in when ZYLON_API_TOKEN is missing: the checks that need no token still run,
# and nothing that would send it does.
_NO_TOKEN = "zylon-doctor-no-token"


def build_parser() -> argparse.ArgumentParser:
    width = max(len(name) for name in CHECKS)
    checks = "\n".join(f"  {name:<{width}}  {text}" for name, text in CHECKS.items())
    parser = argparse.ArgumentParser(
        prog="zylon-doctor",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Check a Zylon instance the way the LangChain and LlamaIndex integrations use it, and print\n"
            "one line per check: ok, differs (works differently; the line says how), failed, or skipped.\n"
            "Read-only: only GET requests and the validate endpoints (which run nothing); nothing on the\n"
            "instance is created, changed or deleted. The token is read from ZYLON_API_TOKEN only and is\n"
            "never printed. Settings: ZYLON_BASE_URL, ZYLON_ORG (default 'default'), ZYLON_MODEL."
        ),
        epilog=(
            f"checks:\n{checks}\n\n"
            "exit status: 0 when nothing the integrations rely on failed ('differs' and 'skipped' included),\n"
            "1 when a check failed (configuration, reachability/TLS, health, the token on the Workspace API,\n"
            "paths, paging, payloads; zylongpt with --require-gpt), 2 for a usage error.\n"
            "For a bug report attach the output of: zylon-doctor --json"
        ),
    )
    parser.add_argument("--base-url", help="instance root, e.g. https://zylon.example.com (default: $ZYLON_BASE_URL)")
    parser.add_argument("--org", help="organization sent as x-org (default: $ZYLON_ORG, else 'default')")
    parser.add_argument("--json", action="store_true", help="print one JSON document (for a bug report) instead of lines")
    parser.add_argument(
        "--require-gpt",
        action="store_true",
        help="you use api='gpt', embeddings, chunk search or vector stores: a token that does not reach ZylonGPT fails",
    )
    parser.add_argument("--ca-bundle", metavar="PATH", help="PEM file of a private certificate authority to verify the instance with")
    parser.add_argument("--project-id", help="project whose threads the paths and paging checks read (default: found by listing)")
    parser.add_argument("--thread-id", help="thread the paths check reads back (give its --project-id too)")
    parser.add_argument("--timeout", type=float, default=30.0, help="read timeout per request in seconds (default: 30)")
    return parser


def diagnose(args: argparse.Namespace) -> Report:
    """The report for parsed arguments (a configuration problem is a failed check)."""
    given = args.base_url or os.environ.get(ENV_BASE_URL)
    token = (os.environ.get(ENV_API_TOKEN) or "").strip()
    try:
        timeout = check_seconds("--timeout", args.timeout)
        settings = ZylonSettings.resolve(
            base_url=args.base_url,
            api_token=token or _NO_TOKEN,
            org=args.org,
            timeout=timeout,
            max_retries=0,  # report what the server answers the first time
            verify=args.ca_bundle,
        )
    except ConfigurationError as exc:
        report = Report(configuration(None, given, token="set (not shown)" if token else "missing"), secret=token)
        report.add(CheckResult("configuration", "failed", str(exc)))
        skip(report, "the configuration is not usable")
        return report
    return run_checks(
        settings,
        base_url_given=given.strip() if given else None,
        token_set=bool(token),
        require_gpt=args.require_gpt,
        project_id=args.project_id,
        thread_id=args.thread_id,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``zylon-doctor``; the exit status (see ``--help``)."""
    args = build_parser().parse_args(argv)
    report = diagnose(args)
    out = report.render_json() if args.json else report.render_text()
    sys.stdout.write(out + "\n")
    sys.stdout.flush()
    return report.exit_code


if __name__ == "__main__":
    raise SystemExit(main())

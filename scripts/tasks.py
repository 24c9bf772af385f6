"""Project tasks behind the Makefile: check, test, run, bench, lint.

Runs with the interpreter that imports Odoo 18.0 (``python3`` or ``$PYTHON``).
Nothing here installs or downloads Odoo: when it is missing the task stops
with one line saying so.
"""

import argparse
import configparser
import importlib.metadata
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ["isp_customer", "isp_sales", "isp_dunning", "isp_payment_gateway", "isp_queue_job"]
# Python packages (requirements.txt) and Odoo addon wheels installed without their requirement
# on Odoo itself (requirements-odoo-addons.txt); see `make setup`
REQUIREMENTS = ROOT / "requirements.txt"
ADDON_WHEELS = ROOT / "requirements-odoo-addons.txt"
# Addons loaded by the server of `make run` besides the database's: OCA queue_job's job runner
SERVER_WIDE_MODULES = "base,web,queue_job"
DEMO_DB = os.environ.get("DEMO_DB") or "isp_demo"
CONF = ROOT / "odoo.conf"
LOG_DIR = ROOT / ".logs"
DATA_DIR = ROOT / ".odoo-data"

# 2026-11-22 12:00:00,123 4711 ERROR dbname odoo.addons.x: message
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) ")
# Warnings that mean an addon did not load as it should: they fail a run like errors.
FATAL_WARNINGS = re.compile(
    r"demo data failed to install|Some modules are not loaded|invalid module names|"
    r"Some modules have inconsistent states|not installable, skipped"
)
RESULT_LINE = re.compile(
    r"odoo\.tests\.result: (?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<run>\d+) tests"
)


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


# --- Odoo ------------------------------------------------------------------


def odoo_module():
    """Return the imported ``odoo`` package or stop with one clear line."""
    not_importable = (
        f"Odoo 18.0 is not importable by {sys.executable}: install Odoo 18.0 Community "
        "and make it importable (pip install it, or add its folder to PYTHONPATH), "
        "or run make with PYTHON=/path/to/the/python/that/imports/odoo"
    )
    try:
        import odoo  # noqa: PLC0415
    except ImportError:
        fail(not_importable)
    if getattr(odoo, "__file__", None) is None:
        # Only namespace folders answered `import odoo`: the odoo/addons/ folder that Odoo addon
        # wheels install into site-packages hides an Odoo that Python finds later (an editable
        # install through an import hook), or no Odoo is installed at all.
        folders = ", ".join(str(path) for path in getattr(odoo, "__path__", []))
        fail(
            f"`import odoo` finds only the folder {folders} (the odoo/addons/ of Odoo addon wheels), not Odoo "
            f"itself: make Odoo 18.0 importable ahead of it for {sys.executable} (a .pth file or PYTHONPATH "
            "naming its folder, or pip install -e with --config-settings editable_mode=compat)"
        )
    try:
        import odoo.release  # noqa: PLC0415
    except ImportError:
        fail(not_importable)
    if odoo.release.version_info[0] != 18:
        fail(f"Odoo {odoo.release.version} found at {Path(odoo.__file__).parent}, but these addons need Odoo 18.0")
    return odoo


def odoo_addons_paths(odoo):
    """Addons folders of the installed Odoo, for git checkouts and packaged installs.

    A git checkout keeps the standard addons in ``<checkout>/addons`` beside the
    ``odoo`` package; a packaged install keeps them all in ``odoo/addons``.
    """
    package = Path(odoo.__file__).resolve().parent
    paths = [package / "addons"]
    sibling = package.parent / "addons"
    if (sibling / "web" / "__manifest__.py").is_file():
        paths.insert(0, sibling)
    if not any((path / "account" / "__manifest__.py").is_file() for path in paths):
        fail(f"the Odoo at {package} has no 'account' addon: a full Odoo 18.0 Community is needed")
    return paths


def test_addon_paths():
    """Addons that live in tests/ (cross-addon scenarios)."""
    tests = ROOT / "tests"
    return sorted(p.parent for p in tests.glob("*/__manifest__.py"))


def addons_path(odoo):
    paths = [*odoo_addons_paths(odoo), ROOT / "addons"]
    if test_addon_paths():
        paths.append(ROOT / "tests")
    extra = os.environ.get("EXTRA_ADDONS")
    if extra:
        paths.extend(Path(p) for p in extra.split(",") if p)
    return ",".join(str(p) for p in paths)


def odoo_command(odoo, *args):
    return [
        sys.executable,
        "-m",
        "odoo",
        f"--config={CONF}",
        f"--addons-path={addons_path(odoo)}",
        f"--data-dir={DATA_DIR}",
        *args,
    ]


def free_port(preferred):
    for port in [preferred, *range(preferred + 1, preferred + 100)]:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return port
    fail(f"no free TCP port near {preferred}")
    return None


def _postgres_environment():
    """PG* variables for psql/dropdb/pg_isready from the database settings of odoo.conf."""
    parser = configparser.ConfigParser()
    parser.read(CONF)
    environment = dict(os.environ)
    for option, variable in (
        ("db_host", "PGHOST"),
        ("db_port", "PGPORT"),
        ("db_user", "PGUSER"),
        ("db_password", "PGPASSWORD"),
    ):
        value = parser.get("options", option, fallback="False").strip()
        if value and value != "False":
            environment.setdefault(variable, value)
    environment["PGOPTIONS"] = "--client-min-messages=warning"
    return environment


PG_ENV = _postgres_environment()


def postgres_ready():
    if shutil.which("pg_isready") is None:
        return True  # remote or unusual setups: let Odoo report connection problems
    return subprocess.run(["pg_isready", "-q"], check=False, env=PG_ENV).returncode == 0


def db_query(dbname, sql):
    """One value from psql, or None when the database does not exist."""
    result = subprocess.run(
        ["psql", "-X", "-d", dbname, "-tAc", sql],
        capture_output=True,
        text=True,
        check=False,
        env=PG_ENV,
    )
    if result.returncode != 0:
        return None
    return result.stdout.strip()


def drop_database(dbname):
    result = subprocess.run(
        ["dropdb", "--if-exists", "--force", dbname], check=False, env=PG_ENV, capture_output=True, text=True
    )
    if result.returncode != 0:
        fail(f"could not drop database {dbname}: {result.stderr.strip()}")


# --- tasks -----------------------------------------------------------------


def task_check_odoo(_args):
    """Stop when no usable Odoo 18.0 is importable; print the folder of its odoo package."""
    odoo = odoo_module()
    odoo_addons_paths(odoo)
    print(Path(odoo.__file__).resolve().parent)


def task_odoo_version(_args):
    odoo = odoo_module()
    print(f"Odoo {odoo.release.version}")


def _requirements(path):
    """The requirements of a requirements file, without comments and those for other platforms."""
    from packaging.requirements import Requirement  # noqa: PLC0415

    requirements = []
    for raw_line in path.read_text().splitlines():
        line = raw_line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate():
            continue
        requirements.append(requirement)
    return requirements


def task_check_requirements(_args):
    """Exit 0 when every package of requirements.txt and requirements-odoo-addons.txt is
    installed in a matching version."""
    try:
        import packaging.requirements  # noqa: PLC0415, F401
    except ImportError:
        sys.exit(1)  # cannot tell: let pip decide

    for requirement in _requirements(REQUIREMENTS) + _requirements(ADDON_WHEELS):
        try:
            version = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            sys.exit(1)
        if requirement.specifier and version not in requirement.specifier:
            sys.exit(1)


def _wheel_addons(requirement):
    """The addons a wheel installs: the folders odoo/addons/<addon>/ among its files."""
    files = importlib.metadata.files(requirement.name) or []
    return sorted({file.parts[2] for file in files if file.parts[:2] == ("odoo", "addons") and len(file.parts) > 3})


def task_check_odoo_addons(args):
    """After installing requirements-odoo-addons.txt: `import odoo` still finds the installed Odoo
    (the wheels' odoo/addons/ namespace folder must not hide it), and each wheel's addon imports."""
    odoo = odoo_module()
    found = Path(odoo.__file__).resolve().parent
    if args.odoo and found != Path(args.odoo).resolve():
        fail(
            f"`import odoo` finds {found} after installing {ADDON_WHEELS.name}, not the Odoo at {args.odoo}: "
            "an Odoo addon wheel's odoo/ folder hides it; make that Odoo importable ahead of site-packages"
        )
    odoo.tools.config["addons_path"] = addons_path(odoo)
    odoo.modules.module.initialize_sys_path()
    for requirement in _requirements(ADDON_WHEELS):
        try:
            addons = _wheel_addons(requirement)
        except importlib.metadata.PackageNotFoundError:
            fail(f"{requirement.name} is not installed: run `make setup`")
        if not addons:
            fail(f"{requirement.name} installs no addon under odoo/addons/")
        for addon in addons:
            try:
                module = importlib.import_module(f"odoo.addons.{addon}")
            except ImportError as error:
                fail(f"odoo.addons.{addon} (from {requirement.name}) does not import with the Odoo at {found}: {error}")
            location = Path(module.__file__).resolve().parent
            if odoo.modules.module.get_module_path(addon) is None:
                fail(f"Odoo does not find the addon {addon} installed by {requirement.name} at {location}")


def _stream_odoo(command, log_path):
    """Run Odoo, keep its whole log in a file, show warnings and worse as they come.

    Returns (exit code, ERROR/CRITICAL lines, test result dict or None).
    """
    bad_lines = []
    result = None
    show_continuation = False
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        for line in process.stdout:
            log.write(line)
            match = LOG_LINE.match(line)
            if match:
                level = match["level"]
                show_continuation = level in ("WARNING", "ERROR", "CRITICAL")
                if level in ("ERROR", "CRITICAL") or (level == "WARNING" and FATAL_WARNINGS.search(line)):
                    bad_lines.append(line.rstrip())
                found = RESULT_LINE.search(line)
                if found:
                    result = {key: int(value) for key, value in found.groupdict().items()}
                if show_continuation or "odoo.tests.stats" in line:
                    print(line, end="", flush=True)
            elif show_continuation:
                print(line, end="", flush=True)
        process.wait()
    return process.returncode, bad_lines, result


def _odoo_once(odoo, dbname, log_name, *args):
    """Run Odoo on ``dbname`` once (install/update, no server work); True when it went cleanly."""
    command = odoo_command(
        odoo,
        f"--database={dbname}",
        *args,
        "--stop-after-init",
        "--workers=0",
        "--max-cron-threads=0",
        "--log-level=warn",
        f"--http-port={free_port(8169)}",
    )
    returncode, bad_lines, _result = _stream_odoo(command, LOG_DIR / log_name)
    return not returncode and not bad_lines


def task_test(args):
    odoo = odoo_module()
    if not postgres_ready():
        fail("PostgreSQL does not answer: run `make setup` first")
    LOG_DIR.mkdir(exist_ok=True)
    modules = ADDONS + [p.name for p in test_addon_paths()]
    dbname = os.environ.get("TEST_DB") or f"isp_test_{os.getpid()}"
    if dbname == DEMO_DB:
        fail(f"{DEMO_DB} is the demo database of `make run`; choose another TEST_DB")
    log_path = Path(os.environ.get("TEST_LOG") or LOG_DIR / "test.log").resolve()
    tags = os.environ.get("TEST_TAGS") or ",".join(f"/{m}" for m in modules)
    command = odoo_command(
        odoo,
        f"--database={dbname}",
        f"--init={','.join(modules)}",
        "--test-enable",
        f"--test-tags={tags}",
        "--stop-after-init",
        "--workers=0",
        "--max-cron-threads=0",
        f"--http-port={free_port(int(os.environ.get('TEST_HTTP_PORT') or 8169))}",
        "--log-level=info",
    )
    print(f"test: database {dbname}, modules {', '.join(modules)}; full log in {log_path}")
    started = time.monotonic()
    drop_database(dbname)
    try:
        returncode, bad_lines, result = _stream_odoo(command, log_path)
    finally:
        if not os.environ.get("KEEP_DB"):
            drop_database(dbname)
    elapsed = time.monotonic() - started

    if result is None:
        print(f"test: Odoo exited with code {returncode} before reporting test results")
        passed, failed = 0, 1
    else:
        failed = result["failed"] + result["errors"]
        passed = result["run"] - failed
    problems = []
    if returncode:
        problems.append(f"Odoo exited with code {returncode}")
    if bad_lines:
        problems.append(f"{len(bad_lines)} ERROR/CRITICAL log line(s):")
        problems.extend(f"  {line}" for line in bad_lines[:50])
    if result is not None and result["run"] == 0:
        problems.append("no test ran")
    print(f"test: finished in {elapsed:.0f} s")
    for problem in problems:
        print(f"test: {problem}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if problems or failed else 0)


def _answers(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def task_create_db(args):
    """Create a database the way Odoo's database manager does: company country set
    before accounting is installed, so that the matching chart of accounts is used."""
    odoo = odoo_module()
    odoo.tools.config.parse_config(
        [f"--config={CONF}", f"--addons-path={addons_path(odoo)}", f"--data-dir={DATA_DIR}", "--log-level=warn"],
        setup_logging=True,
    )
    odoo.service.db.exp_create_database(args.name, True, "en_US", "admin", "admin", args.country)


def _prepare_demo_database(odoo):
    """Create the demo database on the first call; add addons that joined since; upgrade on request."""
    state = db_query(DEMO_DB, "SELECT state FROM ir_module_module WHERE name = 'isp_payment_gateway'")
    if state != "installed":
        print(f"run: creating database {DEMO_DB} with the ISP addons and demo data (once)")
        LOG_DIR.mkdir(exist_ok=True)
        started = time.monotonic()
        if state is None:
            # A German provider: German company, chart of accounts (SKR03) and EUR.
            subprocess.run([sys.executable, __file__, "create-db", DEMO_DB, "--country=DE"], cwd=ROOT, check=True)
        init_steps = [
            # Accounting with its localisation first, so that the addons' demo invoices find journals.
            "account",
            ",".join(ADDONS),
        ]
        for step, modules in enumerate(init_steps, 1):
            if not _odoo_once(odoo, DEMO_DB, f"run-init-{step}.log", f"--init={modules}"):
                fail(
                    f"could not create {DEMO_DB} (see .logs/run-init-{step}.log); "
                    f"drop it with `dropdb {DEMO_DB}` and retry"
                )
        print(f"run: database ready in {time.monotonic() - started:.0f} s")
        return
    installed = (db_query(DEMO_DB, "SELECT name FROM ir_module_module WHERE state = 'installed'") or "").split()
    missing = [addon for addon in ADDONS if addon not in installed]
    if missing:
        # a demo database made before an addon joined the project
        print(f"run: installing {', '.join(missing)} in {DEMO_DB}")
        LOG_DIR.mkdir(exist_ok=True)
        if not _odoo_once(odoo, DEMO_DB, "run-install.log", f"--init={','.join(missing)}"):
            fail(f"could not install {', '.join(missing)} in {DEMO_DB} (see .logs/run-install.log)")
    if os.environ.get("UPGRADE"):
        print(f"run: upgrading the ISP addons in {DEMO_DB}")
        if not _odoo_once(odoo, DEMO_DB, "run-upgrade.log", f"--update={','.join(ADDONS)}"):
            fail("could not upgrade the ISP addons (see .logs/run-upgrade.log)")


def task_run(args):
    odoo = odoo_module()
    if not postgres_ready():
        fail("PostgreSQL does not answer: run `make setup` first")
    port = int(os.environ.get("HTTP_PORT", "8069"))
    _prepare_demo_database(odoo)
    print(
        f"run: http://localhost:{port} database {DEMO_DB}\n"
        "run: log in as admin/admin (administrator), manager/manager (ISP manager), clerk/clerk (ISP user);\n"
        "run: portal: kunde/kunde (a customer), reseller/reseller (a reseller) on /my"
    )
    # queue_job loaded server-wide starts its job runner in the server (channels: odoo.conf [queue_job])
    command = odoo_command(
        odoo,
        f"--database={DEMO_DB}",
        f"--db-filter=^{DEMO_DB}$",
        f"--http-port={port}",
        f"--load={SERVER_WIDE_MODULES}",
    )
    if args.check:
        # Serve until the login page answers, then stop: used to verify the command.
        process = subprocess.Popen(command, cwd=ROOT)
        try:
            for _ in range(120):
                time.sleep(1)
                if _answers(f"http://localhost:{port}/web/login"):
                    print("run: server answers on /web/login")
                    break
            else:
                fail("server did not answer on /web/login within 120 s")
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
        return
    os.chdir(ROOT)
    os.execv(command[0], command)


def task_bench(_args):
    """Run tests/benchmarks/bench_*.py in `odoo shell` on a fresh database with the ISP addons.

    BENCH=<text> runs only the benchmarks whose file name contains <text>; BENCH_SCALE=10 makes
    the invoice run benchmark bill ten times the customers (the run only, against itself).
    """
    odoo = odoo_module()
    benchmarks = sorted((ROOT / "tests" / "benchmarks").glob("bench_*.py"))
    only = os.environ.get("BENCH")
    if only:
        benchmarks = [bench for bench in benchmarks if only in bench.stem]
    if not benchmarks:
        print("bench: no benchmark under tests/benchmarks" + (f" matching BENCH={only}" if only else ""))
        return
    if not postgres_ready():
        fail("PostgreSQL does not answer: run `make setup` first")
    LOG_DIR.mkdir(exist_ok=True)
    dbname = os.environ.get("BENCH_DB") or "isp_bench"
    if dbname == DEMO_DB:
        fail(f"{DEMO_DB} is the demo database of `make run`; choose another BENCH_DB")
    drop_database(dbname)
    print(f"bench: creating database {dbname} (ISP addons, no demo data)")
    if not _odoo_once(odoo, dbname, "bench-init.log", f"--init={','.join(ADDONS)}", "--without-demo=all"):
        fail("could not create the benchmark database (see .logs/bench-init.log)")
    # A server for the database, as in production (2 workers, local only, no scheduled actions):
    # wkhtmltopdf loads the report styles from it, the API benchmarks send their requests to it.
    port = _free_port()
    server_log = LOG_DIR / "bench-server.log"
    with open(server_log, "w", encoding="utf-8") as log:
        server = subprocess.Popen(
            _server_command(
                odoo,
                f"--database={dbname}",
                f"--db-filter=^{dbname}$",
                "--http-interface=127.0.0.1",
                f"--http-port={port}",
                f"--gevent-port={_free_port()}",
                "--workers=2",
                "--max-cron-threads=0",
            ),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    rc = 0
    try:
        for _ in range(120):
            time.sleep(1)
            if _answers(f"{url}/web/login"):
                break
        else:
            fail(f"bench: the server did not start within 120 s (see {server_log.relative_to(ROOT)})")
        benchmarks_dir = str(ROOT / "tests" / "benchmarks")
        env = {
            **os.environ,
            "ISP_BENCH_REPORT_URL": url,
            "ISP_BENCH_SERVER_URL": url,
            "ISP_BENCH_SERVER_LOG": str(server_log),
            # the peak memory of the server's processes counts too
            "ISP_BENCH_SERVER_PID": str(server.pid),
            # the benchmarks' shared table of figures (tests/benchmarks/figures.py)
            "PYTHONPATH": os.pathsep.join(filter(None, [benchmarks_dir, os.environ.get("PYTHONPATH")])),
        }
        for bench in benchmarks:
            print(f"bench: {bench.relative_to(ROOT)}")
            shell = [*odoo_command(odoo, f"--database={dbname}", "--log-level=warn", "--no-http"), "shell"]
            # `odoo shell` wants the sub-command first
            shell = [shell[0], "-m", "odoo", "shell", *shell[3:-1]]
            with open(bench, encoding="utf-8") as script:
                rc |= subprocess.run(shell, stdin=script, cwd=ROOT, env=env, check=False).returncode
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    if not os.environ.get("KEEP_DB"):
        drop_database(dbname)
    sys.exit(rc)


def _server_command(odoo, *args):
    """`odoo_command` from Odoo's own script `odoo-bin` when there is one: a server with workers
    starts its websocket process with the script it was started with, which `-m odoo` is not."""
    command = odoo_command(odoo, *args)
    script = Path(odoo.__file__).resolve().parent.parent / "odoo-bin"
    return [command[0], str(script), *command[3:]] if script.is_file() else command


def _free_port():
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def task_lint(_args):
    targets = ["addons", "scripts", "tests"]
    rc = subprocess.run([sys.executable, "-m", "ruff", "check", *targets], cwd=ROOT, check=False).returncode
    rc |= subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *targets], cwd=ROOT, check=False
    ).returncode
    addon_dirs = sorted(str(p.parent) for p in (ROOT / "addons").glob("*/__manifest__.py"))
    rc |= subprocess.run(
        [
            sys.executable,
            "-m",
            "pylint",
            "--rcfile",
            str(ROOT / ".pylintrc"),
            # readme/*.md fragments instead of a generated README.rst; no OCA maintainers list
            "--disable=missing-readme,manifest-maintainers-list",
            *addon_dirs,
        ],
        cwd=ROOT,
        check=False,
    ).returncode
    print("lint: clean" if rc == 0 else "lint: problems found")
    sys.exit(1 if rc else 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="task", required=True)
    sub.add_parser("check-odoo").set_defaults(func=task_check_odoo)
    sub.add_parser("odoo-version").set_defaults(func=task_odoo_version)
    sub.add_parser("check-requirements").set_defaults(func=task_check_requirements)
    check_addons = sub.add_parser("check-odoo-addons")
    check_addons.add_argument("--odoo", help="the folder of the odoo package found before installing the wheels")
    check_addons.set_defaults(func=task_check_odoo_addons)
    sub.add_parser("test").set_defaults(func=task_test)
    create_db = sub.add_parser("create-db")
    create_db.add_argument("name")
    create_db.add_argument("--country", default=None)
    create_db.set_defaults(func=task_create_db)
    run = sub.add_parser("run")
    run.add_argument("--check", action="store_true", help="start, wait for the login page, stop")
    run.set_defaults(func=task_run)
    sub.add_parser("bench").set_defaults(func=task_bench)
    sub.add_parser("lint").set_defaults(func=task_lint)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()

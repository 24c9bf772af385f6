"""Developer tool: make the e-invoice rule files of addons/isp_sales/rules/ from git mirrors.

Never run at run time: the addon ships the result and only reads it. Run it when a new
release of the rules is taken over, then update addons/isp_sales/rules/README.md.

What it does, as the upstream builds do, without Java or Ant (Saxon-HE from ``saxonche``):

1. EN 16931 (CEN, ``ConnectingEurope/eInvoicing-EN16931``): the compiled validation XSLT of
   CII and UBL are copied unchanged with the EUPL licence (CEN ships them compiled; they
   include nothing).
2. XRechnung (KoSIT, ``itplr-kosit/xrechnung-schematron``), as its ``build.xml``:
   - the Ant filter tokens ``@xr-schematron.version.full@`` and ``@xrechnung.version@`` of
     ``XRechnung-{UBL,CII}-validation.sch`` are replaced by the values of ``build.xml``
     (``common.sch``, which both include, is copied unfiltered);
   - with ``--peppol``: KoSIT's ``src/xsl/peppol-into-xr.xsl`` merges the Peppol BIS Billing
     rules KoSIT whitelists (``src/xsl/rule-list.xml``) into both schemas, as KoSIT's release
     does (target ``merge-peppol-rules-with-xr-rules``);
   - each schema is compiled to XSLT 2.0 producing SVRL with SchXslt's
     ``xslt/2.0/pipeline-for-svrl.xsl`` (include -> expand -> compile), the stylesheet and
     parameters of KoSIT's ``abu-schematron-schxslt.xml``.
   - the compiled files keep every assert's id, flag and text: the script checks that each
     assert id of the schema appears in its XSLT and stops otherwise.

Example (the command that made the shipped files)::

    python3 scripts/compile_xrechnung_rules.py \\
        --cen /work/.mirror/ConnectingEurope+eInvoicing-EN16931/repo --cen-rev refs/tags/validation-1.3.16 \\
        --kosit /work/.mirror/itplr-kosit+xrechnung-schematron/repo --kosit-rev refs/tags/v2.5.0 \\
        --schxslt /work/.mirror/schxslt+schxslt/repo --schxslt-rev refs/tags/v1.10.1 \\
        --peppol /work/.mirror/OpenPEPPOL+peppol-bis-invoice-3/repo --peppol-rev refs/tags/v3.0.19 \\
        --out addons/isp_sales/rules

The mirrors are bare git directories (or work trees); files are read with ``git show``.
"""

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

SYNTAXES = {"ubl": "UBL", "cii": "CII"}
CEN_FILES = {
    "cii/xslt/EN16931-CII-validation.xslt": "en16931/EN16931-CII-validation.xslt",
    "ubl/xslt/EN16931-UBL-validation.xslt": "en16931/EN16931-UBL-validation.xslt",
    "LICENSE.txt": "en16931/LICENSE.txt",
}
KOSIT_SCHEMATRON = "src/validation/schematron"
SCHXSLT_XSLT = "core/src/main/resources/xslt/2.0"
FILTER_TOKENS = ("xr-schematron.version.full", "xrechnung.version")
ASSERT_ID = re.compile(r"<(?:sch:)?(?:assert|report)\b[^>]*?\bid=\"([^\"]+)\"", re.S)


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def commit_of(repo, rev):
    return git(repo, "rev-parse", f"{rev}^{{commit}}").decode().strip()


def export(repo, rev, path, target):
    """Write the file ``path`` of ``rev`` to ``target``; return its bytes."""
    data = git(repo, "show", f"{rev}:{path}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return data


def export_tree(repo, rev, folder, target):
    names = git(repo, "ls-tree", "-r", "--name-only", rev, "--", folder).decode().splitlines()
    for name in names:
        export(repo, rev, name, target / Path(name).relative_to(folder))
    return names


def build_properties(build_xml):
    """The ``<property name=... value=...>`` values of an Ant build file, for the filter tokens."""
    found = dict(re.findall(r'<property\s+name="([^"]+)"\s+value="([^"]*)"', build_xml))
    missing = [token for token in FILTER_TOKENS if token not in found]
    if missing:
        sys.exit(f"build.xml defines no {', '.join(missing)}")
    return {token: found[token] for token in FILTER_TOKENS}


def transform(processor, stylesheet, source, output, params=None):
    compiler = processor.new_xslt30_processor()
    executable = compiler.compile_stylesheet(stylesheet_file=str(stylesheet))
    for name, value in (params or {}).items():
        if isinstance(value, bool):
            executable.set_parameter(name, processor.make_boolean_value(value))
        else:
            executable.set_parameter(name, processor.make_string_value(value))
    executable.transform_to_file(source_file=str(source), output_file=str(output))
    if not output.exists():
        sys.exit(f"{stylesheet.name} wrote no {output}")


def copy_cen(args, out):
    commit = commit_of(args.cen, args.cen_rev)
    for source, target in CEN_FILES.items():
        export(args.cen, args.cen_rev, source, out / target)
        print(f"EN 16931 {source} @ {commit} -> {out / target}")


def compile_kosit(args, out, work):
    from saxonche import PySaxonProcessor  # noqa: PLC0415 - only this step needs Saxon

    kosit_commit = commit_of(args.kosit, args.kosit_rev)
    schxslt_commit = commit_of(args.schxslt, args.schxslt_rev)
    tokens = build_properties(git(args.kosit, "show", f"{args.kosit_rev}:build.xml").decode())
    # the layout of KoSIT's build: build/schematron/{common.sch,ubl/,cii/}, src/xsl/, build/bis/
    build = work / "build" / "schematron"
    export(args.kosit, args.kosit_rev, f"{KOSIT_SCHEMATRON}/common.sch", build / "common.sch")
    export_tree(args.schxslt, args.schxslt_rev, SCHXSLT_XSLT, work / "schxslt")
    export(args.kosit, args.kosit_rev, "LICENSE", out / "xrechnung" / "LICENSE")
    # the compiled files hold code SchXslt generates (MIT): its licence goes with them
    export(args.schxslt, args.schxslt_rev, "LICENSE", out / "xrechnung" / "LICENSE-SchXslt")
    if args.peppol:
        export(args.kosit, args.kosit_rev, "src/xsl/peppol-into-xr.xsl", work / "src/xsl/peppol-into-xr.xsl")
        export(args.kosit, args.kosit_rev, "src/xsl/rule-list.xml", work / "src/xsl/rule-list.xml")
        for syntax in SYNTAXES.values():
            name = f"PEPPOL-EN16931-{syntax}.sch"
            export(args.peppol, args.peppol_rev, f"rules/sch/{name}", work / "build" / "bis" / name)

    with PySaxonProcessor(license=False) as processor:
        for folder, syntax in SYNTAXES.items():
            name = f"XRechnung-{syntax}-validation"
            text = git(args.kosit, "show", f"{args.kosit_rev}:{KOSIT_SCHEMATRON}/{folder}/{name}.sch").decode()
            for token, value in tokens.items():
                text = text.replace(f"@{token}@", value)
            left = re.search(r"@(?:xr-schematron|xrechnung)[\w.-]*@", text)
            if left:
                sys.exit(f"{name}.sch keeps an Ant filter token build.xml does not define: {left.group()}")
            filtered = build / "tmp" / f"{name}.sch"
            filtered.parent.mkdir(parents=True, exist_ok=True)
            filtered.write_text(text, encoding="utf-8")
            schema = build / folder / f"{name}.sch"
            schema.parent.mkdir(parents=True, exist_ok=True)
            if args.peppol:
                transform(processor, work / "src/xsl/peppol-into-xr.xsl", filtered, schema, {"syntax": syntax})
            else:
                schema.write_text(text, encoding="utf-8")
            target = out / "xrechnung" / f"{name}.xsl"
            target.parent.mkdir(parents=True, exist_ok=True)
            # no metadata: it holds the compile time (a new file on every run) and a second
            # timestamp in every SVRL report; the rules are the same either way
            transform(
                processor,
                work / "schxslt" / "pipeline-for-svrl.xsl",
                schema,
                target,
                {"schxslt.compile.metadata": False},
            )
            rules = check_assert_ids(schema, target)
            print(
                f"XRechnung {folder}/{name}.sch @ {kosit_commit} ({', '.join(f'{k}={v}' for k, v in tokens.items())})"
                f"{' + Peppol ' + commit_of(args.peppol, args.peppol_rev) if args.peppol else ''}"
                f" compiled with SchXslt @ {schxslt_commit} -> {target} ({rules} rule ids)"
            )


def check_assert_ids(schema, compiled):
    """Stop when an assert/report id of the schema is missing from the compiled XSLT."""
    wanted = set(ASSERT_ID.findall(schema.read_text(encoding="utf-8")))
    if not wanted:
        sys.exit(f"{schema.name} has no rule with an id")
    xslt = compiled.read_text(encoding="utf-8")
    lost = sorted(rule_id for rule_id in wanted if f'"{rule_id}"' not in xslt)
    if lost:
        sys.exit(f"{compiled.name} lost the rules {', '.join(lost)}")
    return len(wanted)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cen", type=Path, help="git dir of ConnectingEurope/eInvoicing-EN16931")
    parser.add_argument("--cen-rev", default="refs/tags/validation-1.3.16")
    parser.add_argument("--kosit", type=Path, required=True, help="git dir of itplr-kosit/xrechnung-schematron")
    parser.add_argument("--kosit-rev", default="refs/tags/v2.5.0")
    parser.add_argument("--schxslt", type=Path, required=True, help="git dir of schxslt/schxslt")
    parser.add_argument("--schxslt-rev", default="refs/tags/v1.10.1")
    parser.add_argument("--peppol", type=Path, help="git dir of OpenPEPPOL/peppol-bis-invoice-3 (KoSIT's merge)")
    parser.add_argument("--peppol-rev", default="refs/tags/v3.0.19")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "addons/isp_sales/rules")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.cen:
        copy_cen(args, args.out)
    with tempfile.TemporaryDirectory(prefix="xrechnung-rules-") as work:
        compile_kosit(args, args.out, Path(work))


if __name__ == "__main__":
    main()

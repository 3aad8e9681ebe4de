#!/usr/bin/env python3
"""help_lists_options.py SRC_DIR HONE README: every option a command parses
(the "-x" strings compared in src/cli/cmd_<name>.c, plus the engine options
of cli_args.c for the commands that take them) appears in `hone <name>
--help`, and each option (one of its spellings: the strings compared on one
source line are aliases) in the README's "### hone <name>" synopsis (the
engine options shared by run, perplexity, bench and serve: in its "### Model
options" section)."""
import re
import subprocess
import sys

src, hone, readme = sys.argv[1:4]
OPT = re.compile(r'strcmp\(\s*[\w\[\]\->.]+\s*,\s*"(-[^"]+)"\s*\)')
ENGINE_CMDS = {"run", "perplexity", "bench", "serve"}
HIDDEN = {"--write-build-info", "--cpu-has"}  # info's build-time / install-time switches

def opts(path):
    """alias groups: the option strings of one source line"""
    groups = set()
    for line in open(path, encoding="utf-8"):
        found = OPT.findall(line)
        if found:
            groups.add(tuple(sorted(set(found))))
    return groups

engine = opts(f"{src}/src/cli/cli_args.c")
text = open(readme, encoding="utf-8").read()
bad = []

def section_of(title):
    m = re.search(rf"^### {re.escape(title)}\n(.*?)(?=^#)", text, re.M | re.S)
    if not m:
        bad.append(f"README: no '### {title}' section")
    return m.group(1) if m else None

def has(o, t):
    return re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", t)

model_opts = section_of("Model options")
if model_opts is not None:
    for g in sorted(engine):
        if not any(has(o, model_opts) for o in g):
            bad.append(f"README '### Model options' lacks {' / '.join(g)}")

for cmd in ["run", "perplexity", "bench", "tokenize", "serve", "quantize", "pull", "info"]:
    own = {g for g in opts(f"{src}/src/cli/cmd_{cmd}.c") if not set(g) & HIDDEN}
    want = own | engine if cmd in ENGINE_CMDS else own
    out = subprocess.run([hone, cmd, "--help"], capture_output=True, text=True)
    if out.returncode != 0:
        bad.append(f"hone {cmd} --help: exit status {out.returncode}")
    section = section_of(f"hone {cmd}")
    for g in sorted(want):
        for o in g:
            if not has(o, out.stdout):
                bad.append(f"hone {cmd} --help lacks {o}")
        if section is not None and g in own and "--help" not in g and \
                not any(has(o, section) for o in g):
            bad.append(f"README '### hone {cmd}' lacks {' / '.join(g)}")
print("\n".join(bad) if bad else "ok: every option is in --help and the README")
sys.exit(1 if bad else 0)

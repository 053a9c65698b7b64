#!/usr/bin/env python3
"""Regenerate banks.tsv, branches.tsv and VERSION from the zengin-code data set.

Usage (standard library only; the download is done by npm, not by this script):

    cd "$(mktemp -d)" && npm pack zengin-code && tar xzf zengin-code-*.tgz
    python3 <repo>/crates/zengin/data/regenerate.py package <repo>/crates/zengin/data

The first argument is the unpacked npm package (it holds lib/zengin-data.js and package.json).
A checkout of github.com/zengin-code/source-data works too: pass its data/ directory, which holds
banks.json, branches/<bank>.json and updated_at.

Kana are written in Zengin form: half-width katakana with the voiced marks as their own
characters, ASCII digits, A-Z, space and ( ) - . /. Rows are sorted by code so the crate can
binary-search them without building an index.
"""

import json
import os
import sys
import unicodedata


def half_width_table():
    # Python can widen half-width kana (NFKC) but not narrow them, so invert NFKC.
    table = {}
    for cp in range(0xFF61, 0xFFA0):
        half = chr(cp)
        table[unicodedata.normalize("NFKC", half)] = half
    return table


HALF = half_width_table()
SMALL_TO_LARGE = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
ALLOWED_ASCII = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ ()-./")


def zengin_kana(text):
    out = []
    for ch in text.translate(SMALL_TO_LARGE):
        if ch in ("ー", "－", "‐", "−"):
            out.append("-")
            continue
        wide = unicodedata.normalize("NFKC", ch)
        if len(wide) == 1 and wide in ALLOWED_ASCII:
            out.append(wide)
            continue
        for part in unicodedata.normalize("NFD", ch):
            if part in HALF:
                out.append(HALF[part])
            else:
                raise SystemExit(f"no Zengin form for {part!r} in {text!r}")
    result = "".join(out)
    allowed = ALLOWED_ASCII | {chr(0xFF66)} | {chr(c) for c in range(0xFF71, 0xFFA0)}
    bad = [c for c in result if c not in allowed]
    if bad:
        raise SystemExit(f"{text!r} gives {result!r}, outside the Zengin set: {bad!r}")
    return result


def clean(text):
    # A tab or newline inside a name would break the TSV; none exist today, refuse if one appears.
    if any(c in text for c in "\t\r\n"):
        raise SystemExit(f"control character in {text!r}")
    return text.strip()


def load_npm(package):
    with open(os.path.join(package, "lib", "zengin-data.js"), encoding="utf-8") as f:
        source = f.read()
    data = json.loads(source[source.index("{") : source.rindex("}") + 1])
    with open(os.path.join(package, "package.json"), encoding="utf-8") as f:
        version = "npm zengin-code " + json.load(f)["version"]
    return data, version


def load_source_data(directory):
    with open(os.path.join(directory, "banks.json"), encoding="utf-8") as f:
        data = json.load(f)
    for code, bank in data.items():
        with open(os.path.join(directory, "branches", code + ".json"), encoding="utf-8") as f:
            bank["branches"] = json.load(f)
    with open(os.path.join(directory, "updated_at"), encoding="utf-8") as f:
        version = "zengin-code/source-data " + f.read().strip()
    return data, version


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    source, out_dir = sys.argv[1], sys.argv[2]
    if os.path.exists(os.path.join(source, "lib", "zengin-data.js")):
        data, version = load_npm(source)
    else:
        data, version = load_source_data(source)

    banks, branches = [], []
    for code in sorted(data):
        bank = data[code]
        if len(code) != 4 or not code.isdigit():
            raise SystemExit(f"bank code {code!r} is not four digits")
        banks.append((code, clean(bank["name"]), zengin_kana(clean(bank["kana"]))))
        for branch_code in sorted(bank["branches"]):
            branch = bank["branches"][branch_code]
            if len(branch_code) != 3 or not branch_code.isdigit():
                raise SystemExit(f"branch code {code}-{branch_code!r} is not three digits")
            branches.append(
                (code, branch_code, clean(branch["name"]), zengin_kana(clean(branch["kana"])))
            )

    def write(name, rows):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8", newline="\n") as f:
            for row in rows:
                f.write("\t".join(row) + "\n")

    write("banks.tsv", banks)
    write("branches.tsv", branches)
    with open(os.path.join(out_dir, "VERSION"), "w", encoding="utf-8", newline="\n") as f:
        f.write(version)
    print(f"{version}: {len(banks)} banks, {len(branches)} branches")


if __name__ == "__main__":
    main()

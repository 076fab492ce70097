#!/usr/bin/env python3
"""Rebuilds RollsimCJK.ttf, the face Chinese charts are drawn in, after the zh-CN catalogue
(src/report/lang/zh_cn.rs) gains characters; a unit test fails until it is rebuilt.

It is DejaVu Sans' Latin (Debian's fonts-dejavu-core) and Droid Sans Fallback's glyphs of
every character of the catalogue (Debian's fonts-droid-fallback, Apache License 2.0), merged
into one face so that plotters, which takes one font per family, draws mixed text.
Needs fontTools (pip install fonttools). Run from the repository root:

    python3 assets/fonts/make-cjk-font.py
"""
from fontTools import subset
from fontTools.merge import Merger
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
import os
import tempfile

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DROID = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
CATALOGUE = "src/report/lang/zh_cn.rs"
OUT = "assets/fonts/RollsimCJK.ttf"

LATIN = [chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0xA0, 0x100)]
LATIN += list("—–−→←…·×≤≥‘’“”•")


def subset_of(path, chars):
    font = TTFont(path)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.layout_features = []
    options.hinting = False
    s = subset.Subsetter(options)
    s.populate(text="".join(chars))
    s.subset(font)
    for table in ("vhea", "vmtx", "VORG", "MATH", "FFTM"):
        if table in font:
            del font[table]
    return font


def main():
    text = open(CATALOGUE, encoding="utf-8").read()
    cjk = sorted({c for c in text if ord(c) > 0x2000 and c not in LATIN})
    latin = subset_of(DEJAVU, LATIN)
    han = subset_of(DROID, cjk)
    scale_upem(han, latin["head"].unitsPerEm)
    with tempfile.TemporaryDirectory() as tmp:
        a, b = os.path.join(tmp, "latin.ttf"), os.path.join(tmp, "han.ttf")
        latin.save(a)
        han.save(b)
        merged = Merger().merge([a, b])
    name = merged["name"]
    for record in list(name.names):
        if record.nameID in (1, 3, 4, 6, 16):
            name.removeNames(nameID=record.nameID)
    for nid, value in ((1, "Rollsim CJK"), (3, "Rollsim CJK subset"), (4, "Rollsim CJK"), (6, "RollsimCJK")):
        name.setName(value, nid, 3, 1, 0x409)
    merged.save(OUT)
    cmap = TTFont(OUT).getBestCmap()
    missing = [c for c in cjk + LATIN if ord(c) not in cmap]
    print(f"{OUT}: {len(cjk)} CJK characters, {os.path.getsize(OUT)} bytes, missing {missing}")


if __name__ == "__main__":
    main()

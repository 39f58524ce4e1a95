#!/usr/bin/python3
"""Makes DroidSansFallbackGBK.ttf, the Chinese font the reports embed: Debian's
DroidSansFallbackFull.ttf (package fonts-droid-fallback) reduced with fontTools
(Debian package python3-fonttools) to the characters GBK encodes (21,886: every
Chinese character of GB 2312 and GBK, CJK punctuation, full-width forms) that the
font has. Fewer glyphs make each report's embedded subset cheaper to build: the
subset's glyph metrics and locations are as long as the font's glyph count.

Run: /usr/bin/python3 internal/report/assets/subset-cjk.py
"""
import os
from fontTools import subset
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont

SRC = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "DroidSansFallbackGBK.ttf")

font = TTFont(SRC)
have = set(font.getBestCmap())
keep = set()
for cp in have:
    try:
        chr(cp).encode("gbk")
    except UnicodeEncodeError:
        continue
    keep.add(cp)
opts = subset.Options()
opts.layout_features = []
opts.hinting = True
opts.notdef_outline = True
opts.name_IDs = ["*"]
opts.name_languages = ["*"]
opts.drop_tables += ["vhea", "vmtx", "GSUB", "GPOS", "GDEF"]
s = subset.Subsetter(opts)
s.populate(unicodes=sorted(keep))
s.subset(font)
# Composite glyphs (built of shared radicals) become simple ones, so that the
# font has one glyph per character (and .notdef): the components no longer
# count as glyphs.
glyf = font["glyf"]
glyphset = font.getGlyphSet()
decomposed = {}
for name in font.getGlyphOrder():
    if glyf[name].isComposite():
        rec = DecomposingRecordingPen(glyphset)
        glyphset[name].draw(rec)
        pen = TTGlyphPen(None)
        rec.replay(pen)
        decomposed[name] = pen.glyph()
for name, g in decomposed.items():
    glyf[name] = g
used = set(font.getBestCmap().values()) | {".notdef"}
s2 = subset.Subsetter(opts)
s2.populate(glyphs=sorted(used))
s2.subset(font)
font.save(OUT)
print(len(keep), "characters,", len(font.getGlyphOrder()), "glyphs,", os.path.getsize(OUT), "bytes")

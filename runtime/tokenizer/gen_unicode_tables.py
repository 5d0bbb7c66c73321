"""Writes the Unicode tables the tokenizer needs as a C++ include file, from Python's unicodedata.

Run as a build action, so only this script is checked in. The output defines, in the enclosing
namespace:
  kCharClassRuns       (first code point << 8) | CharClass bit flags, one entry per run of equal
                       flags, sorted, starting at 0: a run lasts until the next entry
  kCombiningClassRuns  the same for the canonical combining class
  kLowercaseRuns       single-character lowercase mappings: `count` code points from `first`,
                       `stride` apart, each mapped to itself plus `delta`
  kLowercasePairs      the lowercase mappings to two characters
  kDecompositions      canonical decomposition mappings, one step (applied recursively gives NFD),
                       Hangul excluded, sorted: code point << 43 | first << 22 | second << 1 |
                       1 if the pair is a primary composite; second is 0 for singletons
  kCompositions        indices of the primary composites in kDecompositions, sorted by (first, second)
  kFirstNfcRelevant    text made only of code points below this is already in NFC
"""
import argparse
import unicodedata

import tokenizers
from tokenizers import normalizers, pre_tokenizers

MAX_CODE_POINT = 0x10FFFF
HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3

# Flags, mirrored by the CharClass constants in unicode.h.
LETTER, NUMBER, WHITESPACE, WORD, BERT_CONTROL, BERT_NONSPACING_MARK, BERT_PUNCTUATION = 1, 2, 4, 8, 16, 32, 64

# White_Space is not in unicodedata; it is exactly Zs, Zl, Zp plus these controls.
WHITESPACE_CONTROLS = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85}
# \w of Rust's regex crate (used by tokenizers for single_word added tokens) is
# Alphabetic + M + Nd + Pc + Join_Control. Alphabetic is L + Nl + Other_Alphabetic; the
# Other_Alphabetic code points outside M (which \w covers anyway) are these symbol ranges.
OTHER_ALPHABETIC_SYMBOLS = [(0x24B6, 0x24E9), (0x1F130, 0x1F149), (0x1F150, 0x1F169), (0x1F170, 0x1F189)]
JOIN_CONTROL = {0x200C, 0x200D}


def char_class(cp: int) -> int:
    category = unicodedata.category(chr(cp))
    flags = 0
    if category[0] == "L":
        flags |= LETTER | WORD
    if category[0] == "N":
        flags |= NUMBER
    if category in ("Nd", "Nl") or category[0] == "M" or category == "Pc":
        flags |= WORD
    if category in ("Zs", "Zl", "Zp") or cp in WHITESPACE_CONTROLS:
        flags |= WHITESPACE
    if cp in JOIN_CONTROL or any(first <= cp <= last for first, last in OTHER_ALPHABETIC_SYMBOLS):
        flags |= WORD
    return flags


def probe_bert_classes():
    """The character classes and lowercase mapping of BERT's normalizer and pre-tokenizer, read
    from the tokenizers library itself: they come from the Rust crates it is built with, whose
    Unicode versions differ from unicodedata's (general categories from an older one, lowercase
    from a newer one). Each probe runs every character at once, separated by a character whose
    own result is known.

    Returns (flags by code point, {code point: lowercase text}).
    """
    def separated(chars, separator, run):
        parts = run(separator.join(chr(cp) for cp in chars)).split(separator)
        assert len(parts) == len(chars), "a probe separator was produced by another character"
        return dict(zip(chars, parts))

    scalars = [cp for cp in range(MAX_CODE_POINT + 1) if not 0xD800 <= cp <= 0xDFFF]
    flags = {}

    def bert_normalizer(**options):
        settings = dict(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=False)
        settings.update(options)
        return normalizers.BertNormalizer(**settings).normalize_str

    # clean_text drops "other" characters (Cc, Cf, Co, but not tab, newline and carriage return), NUL and U+FFFD.
    for cp, text in separated([c for c in scalars if c != ord("x")], "x", bert_normalizer(clean_text=True)).items():
        if text == "":
            flags[cp] = flags.get(cp, 0) | BERT_CONTROL
    # strip_accents decomposes (NFD), then drops nonspacing marks (Mn).
    for cp, text in separated([c for c in scalars if c != 1], "\x01", bert_normalizer(strip_accents=True)).items():
        if text == "":
            flags[cp] = flags.get(cp, 0) | BERT_NONSPACING_MARK
    # The pre-tokenizer isolates punctuation (ASCII punctuation and P*); other characters stay in
    # the word of the separators around them.
    joined = "x".join(chr(cp) for cp in scalars if cp != ord("x"))
    for token, _ in pre_tokenizers.BertPreTokenizer().pre_tokenize_str(joined):
        if len(token) == 1 and token != "x":
            flags[ord(token)] = flags.get(ord(token), 0) | BERT_PUNCTUATION
    # Lowercasing maps each character on its own (no final-sigma rule).
    lowercase = {}
    no_x = [c for c in scalars if c not in (ord("x"), ord("X"))]
    for cp, text in separated(no_x, "x", bert_normalizer(lowercase=True)).items():
        if text != chr(cp):
            lowercase[cp] = text
    lowercase[ord("X")] = "x"
    return flags, lowercase


def runs(value_of):
    """[(first, value)] for maximal runs of equal values, from code point 0 on."""
    result = []
    for cp in range(MAX_CODE_POINT + 1):
        value = value_of(cp)
        if not result or result[-1][1] != value:
            result.append((cp, value))
    return result


def lowercase_runs(lowercase):
    """[(first, count, stride, delta)] covering the single-character mappings."""
    singles = sorted((cp, ord(text) - cp) for cp, text in lowercase.items() if len(text) == 1)
    result = []
    for cp, delta in singles:
        if result:
            first, count, stride, last_delta = result[-1]
            last = first + (count - 1) * stride
            if delta == last_delta and (count == 1 and cp - last in (1, 2) or count > 1 and cp - last == stride):
                result[-1] = (first, count + 1, cp - last, delta)
                continue
        result.append((cp, 1, 1, delta))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    bert_flags, lowercase = probe_bert_classes()
    class_runs = runs(lambda cp: char_class(cp) | bert_flags.get(cp, 0))
    combining_runs = runs(lambda cp: unicodedata.combining(chr(cp)))
    lowercase_pairs = sorted((cp, ord(text[0]), ord(text[1])) for cp, text in lowercase.items() if len(text) == 2)
    assert all(len(text) <= 2 for text in lowercase.values())
    case_runs = lowercase_runs(lowercase)
    assert all(count < 1 << 16 and stride < 1 << 8 for _, count, stride, _ in case_runs)

    decompositions = []  # (code point, first, second, is a primary composite)
    for cp in range(MAX_CODE_POINT + 1):
        if HANGUL_FIRST <= cp <= HANGUL_LAST:
            continue  # decomposed and composed algorithmically
        char = chr(cp)
        mapping = unicodedata.decomposition(char)
        if mapping and not mapping.startswith("<"):
            parts = [int(p, 16) for p in mapping.split()]
            assert len(parts) in (1, 2)
            # A primary composite: a pair mapping that NFC recomposes (composition exclusions do not).
            composes = len(parts) == 2 and unicodedata.normalize("NFC", chr(parts[0]) + chr(parts[1])) == char
            decompositions.append((cp, parts[0], parts[1] if len(parts) == 2 else 0, composes))
    compositions = sorted((first, second, index) for index, (_, first, second, composes) in enumerate(decompositions)
                          if composes)
    assert len(decompositions) < 1 << 16  # kCompositions holds uint16 indices

    first_relevant = min(
        [cp for cp in range(MAX_CODE_POINT + 1)
         if unicodedata.combining(chr(cp)) or unicodedata.normalize("NFC", chr(cp)) != chr(cp)]
        + [second for _, second, _ in compositions]
    )

    out = [
        "// Generated by gen_unicode_tables.py from Python's unicodedata {} and tokenizers {}. Do not edit.".format(
            unicodedata.unidata_version, tokenizers.__version__),
        "",
        "constexpr char kUnicodeVersion[] = \"{}\";".format(unicodedata.unidata_version),
        "constexpr char32_t kFirstNfcRelevant = 0x{:X};".format(first_relevant),
        "",
        "constexpr uint32_t kCharClassRuns[] = {",
    ]
    out += ["    0x{:X},".format(first << 8 | value) for first, value in class_runs]
    out += ["};", "", "constexpr uint32_t kCombiningClassRuns[] = {"]
    out += ["    0x{:X},".format(first << 8 | value) for first, value in combining_runs]
    out += ["};", "", "constexpr LowercaseRun kLowercaseRuns[] = {"]
    out += ["    {{0x{:X}, {}, {}, {}}},".format(*r) for r in case_runs]
    out += ["};", "", "constexpr LowercasePair kLowercasePairs[] = {"]
    out += ["    {{0x{:X}, 0x{:X}, 0x{:X}}},".format(*p) for p in lowercase_pairs]
    out += ["};", "", "constexpr uint64_t kDecompositions[] = {"]
    out += ["    0x{:X},".format(cp << 43 | first << 22 | second << 1 | int(composes))
            for cp, first, second, composes in decompositions]
    out += ["};", "", "constexpr uint16_t kCompositions[] = {"]
    for i in range(0, len(compositions), 16):
        out.append("    " + " ".join("{},".format(index) for _, _, index in compositions[i:i + 16]))
    out += ["};", ""]
    with open(args.output, "w", encoding="utf-8") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()

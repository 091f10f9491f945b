"""Organization names as people see them: one company, one name.

Partner search and every page show organizations by name, so two names that look the
same must be one name. A name is stored in its normal form: Unicode NFKC (full-width
"\uff21\uff43\uff4d\uff45" is "Acme", a no-break space a space), without the
characters that show nothing (zero-width spaces and joiners, soft hyphens, the Hangul
and Braille blanks) or reorder what is shown (the bidirectional overrides, embeddings
and isolates), with single spaces. Its key, the normal form case-folded, is unique, so
"ACME", "Acme\u200b" and "\u202eemcA" are all refused once "Acme" exists.

Letters of other scripts that look alike (a Cyrillic "\u0410" for a Latin "A") are
different letters, and different names: telling them apart is left to the eye."""

import unicodedata

MAX_LENGTH = 200

# Letters and marks that draw nothing; the Cf (format) category is dropped whole.
BLANK_LOOKING = {
    "\u034f",  # combining grapheme joiner
    "\u115f", "\u1160", "\u3164", "\uffa0",  # Hangul fillers
    "\u2800",  # Braille pattern blank
    *(chr(c) for c in range(0xFE00, 0xFE10)),  # variation selectors
    *(chr(c) for c in range(0xE0100, 0xE01F0)),  # variation selectors supplement
}  # fmt: skip


def _shows(char: str) -> bool:
    if char in BLANK_LOOKING:
        return False
    category = unicodedata.category(char)
    if category == "Cf":  # zero-width, bidi controls, BOM, soft hyphen, tags
        return False
    # Other controls: whitespace ones become a space below, the rest go.
    return category != "Cc" or char.isspace()


def normalize_organization_name(value: str) -> str:
    """The name as stored: NFKC, nothing invisible or reordering, single spaces."""
    text = unicodedata.normalize("NFKC", value or "")
    text = "".join(char for char in text if _shows(char))
    # Dropping a joiner can leave a sequence NFKC composes differently: normalize again.
    return " ".join(unicodedata.normalize("NFKC", text).split())


def organization_name_key(value: str) -> str:
    """What is unique: the normal form, case-folded ("Straße" and "STRASSE" are one)."""
    return unicodedata.normalize("NFKC", normalize_organization_name(value).casefold())

"""
Readers' comments: plain text with a few safe tags, made into HTML once, when saved.

What comes out is only what the allowlist lets through, with every link marked
as user content that passes no ranking and no window handle.
"""

import re
import unicodedata
from html.parser import HTMLParser
from urllib.parse import unquote

import bleach
from bleach.linkifier import Linker

ALLOWED_TAGS = frozenset({"a", "em", "strong", "b", "i", "blockquote", "code", "p", "br"})
ALLOWED_ATTRIBUTES = {"a": ["href"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

_BLANK_LINE = re.compile(r"\n\s*\n")
_STARTS_A_BLOCK = re.compile(r"^\s*<(p|blockquote)[\s>]", re.IGNORECASE)


def _rel_ugc(attrs, new=False):
    attrs[(None, "rel")] = "nofollow ugc noopener"
    return attrs


_linker = Linker(callbacks=[_rel_ugc], parse_email=False)


def _clean(html):
    return bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )


def _paragraphs(html):
    """Blank lines part paragraphs and single line breaks stay breaks, as readers typed them."""
    blocks = []
    for chunk in _BLANK_LINE.split(html.replace("\r\n", "\n").strip()):
        if _STARTS_A_BLOCK.match(chunk):
            blocks.append(chunk.strip())
        elif chunk.strip():
            blocks.append("<p>" + chunk.strip().replace("\n", "<br>") + "</p>")
    return "\n".join(blocks)


def render_comment(text):
    return _linker.linkify(_clean(_paragraphs(_clean(text or ""))))


# Letters from other scripts that look like Latin ones, as spammers use them to
# slip past word lists; after NFKC and casefolding, so fullwidth and capital
# forms are already folded into these.
_CONFUSABLES = str.maketrans(
    {
        "\u3002": ".",  # ideographic full stop: browsers read it as a dot in a host name
        "а": "a",  # Cyrillic
        "в": "b",
        "е": "e",
        "ё": "e",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "ѕ": "s",
        "і": "i",
        "ї": "i",
        "ј": "j",
        "ԁ": "d",
        "ԛ": "q",
        "ԝ": "w",
        "α": "a",  # Greek
        "β": "b",
        "ε": "e",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        "ɑ": "a",  # Latin look-alikes
        "ɡ": "g",
        "ı": "i",
        "ℓ": "l",
    }
)
_SPACES = re.compile(r"\s+")

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): characters
# browsers draw as nothing, such as soft hyphens, zero-width joiners, variation
# selectors and fillers, so `ca\ufe0fsino` reads "casino" on the page.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_INVISIBLE = re.compile(
    "[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in _INVISIBLE_RANGES) + "]"
)


def fold(text):
    """
    Text as word lists should see it: invisible characters dropped (before
    NFKC, so the letters around them compose as a browser shows them, and
    after, as NFKC turns the Hangul fillers into another one), NFKC (fullwidth
    and styled letters become plain ones), case folded, look-alike letters
    mapped to Latin ones and runs of spaces made one. Accents stay: "año" is
    not "ano". Every step is a single pass over the text.
    """
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    text = _INVISIBLE.sub("", text).casefold().translate(_CONFUSABLES)
    return _SPACES.sub(" ", text).strip()


class _TextOnly(HTMLParser):
    """
    The text a browser would show: tags dropped, entities decoded, blocks kept
    apart; and apart from it, where the links go, entities decoded too.
    """

    BLOCKS = frozenset({"p", "br", "blockquote"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.targets = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.targets.extend(value for name, value in attrs if name == "href" and value)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data):
        self.parts.append(data)


def _read(text):
    parser = _TextOnly()
    parser.feed(render_comment(text))
    parser.close()
    return parser


def visible_text(text):
    """
    What readers would see of a comment once published, folded for matching:
    so `c&#97;sino`, `c<b></b>asino` and `cаsino` (Cyrillic а) all read "casino".
    """
    return fold("".join(_read(text).parts))


def matched_text(text):
    """
    What word lists are matched against: the visible text and, after it, every
    link target, percent-decoded and folded the same way, since a link's text
    need not say where it goes (`<a href="https://ca%73ino.example">source</a>`).
    """
    return matched_text_and_links(text)[0]


def matched_text_and_links(text):
    """`matched_text` and how many links the comment has, from one rendering of it."""
    parser = _read(text)
    targets = [unquote(target) for target in parser.targets]
    return fold(" ".join(["".join(parser.parts), *targets])), len(targets)

"""
The one place article HTML is made safe.

Bodies come from editors, from pasted Word documents and from WordPress
imports; whatever the source, what is stored is only what this allowlist lets
through, so templates can render it with `|safe`.
"""

import html as html_entities
import re
from urllib.parse import quote, urlsplit
from xml.dom import minidom

from bleach import html5lib_shim
from bleach._vendor.html5lib import treebuilders
from bleach._vendor.html5lib.constants import formattingElements, tokenTypes
from bleach._vendor.html5lib.treebuilders import dom as _html5lib_dom
from bleach.sanitizer import BleachSanitizerFilter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

ALLOWED_TAGS = frozenset(
    {
        "h2", "h3", "h4", "h5", "h6", "p", "br", "hr",
        "ul", "ol", "li", "dl", "dt", "dd",
        "a", "blockquote", "cite", "q",
        "figure", "figcaption", "img",
        "em", "strong", "b", "i", "u", "s", "sub", "sup", "small", "mark", "abbr",
        "code", "pre", "kbd",
        "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
        "iframe",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel", "target"],
    "img": ["src", "alt", "title", "width", "height", "loading"],
    "abbr": ["title"],
    "blockquote": ["cite"],
    "q": ["cite"],
    "th": ["colspan", "rowspan", "scope"],
    "td": ["colspan", "rowspan"],
    "iframe": [
        "src", "width", "height", "title", "allow", "allowfullscreen", "loading", "sandbox",
    ],
}  # fmt: skip

ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# bleach keeps the text of a stripped element; for these the text is code or
# styling, never prose, so the whole element goes, content and all.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "noscript", "template"})

# Permissions-Policy features an embedded player may ask for. Never camera,
# microphone, geolocation, payment, usb and the like: a video needs none of them.
EMBED_ALLOWED_FEATURES = frozenset(
    {
        "autoplay",
        "clipboard-write",
        "encrypted-media",
        "fullscreen",
        "picture-in-picture",
        "web-share",
    }
)

# Every kept embed runs sandboxed: enough for a player, never top navigation or forms.
EMBED_SANDBOX = "allow-scripts allow-same-origin allow-popups allow-presentation"

# Characters on which Python's and browsers' URL parsers disagree (a backslash
# ends the host for a browser, not for urlsplit), userinfo, and whatever a
# browser silently strips: an embed address holding any of them is refused.
_AMBIGUOUS_IN_URL = re.compile(r"[\\@\s\x00-\x1f\x7f]")

# Kept as they are when the address is rebuilt; everything else is percent-encoded,
# `;` included, so no character reference can form in the stored attribute.
_URL_SAFE = "/-._~!$'()*+,=:&%"


def embed_src(value):
    """
    The embed address rebuilt from its checked parts, or None if it is not an
    https address on one of ARTICLES_EMBED_HOSTS.

    `value` is the attribute as a browser reads it (character references
    decoded). The result is built from the allowlisted host, never copied
    from the input, so what is stored is exactly what was checked.
    """
    if _AMBIGUOUS_IN_URL.search(value):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if (
        parts.scheme != "https"
        or port is not None
        or host not in settings.ARTICLES_EMBED_HOSTS
        or parts.netloc.lower() != host
    ):
        return None
    path = quote(parts.path or "/", safe=_URL_SAFE)
    if not path.startswith("/"):
        return None
    query = quote(parts.query, safe=_URL_SAFE)
    return f"https://{host}{path}" + (f"?{query}" if query else "")


def _embed_permissions(value):
    """The `allow` list cut down to the features an embed may have, in the given order."""
    features = [directive.split()[0] for directive in value.split(";") if directive.split()]
    kept = [feature for feature in features if feature.lower() in EMBED_ALLOWED_FEATURES]
    return "; ".join(dict.fromkeys(feature.lower() for feature in kept))


def _allow_attribute(tag, name, value):
    if tag == "iframe" and name == "src":
        return embed_src(value) == value
    return name in ALLOWED_ATTRIBUTES.get(tag, ())


def _attribute(token, name):
    return token["data"].get((None, name))


# `&#` and more digits than any character has: bleach reads such a reference a
# digit at a time, each step costing the length of the rest. Its `&` is written
# as `&#38;`, so the reader sees the characters typed and bleach reads no further.
_IMPOSSIBLE_REFERENCE = re.compile(r"&(?=#[xX]?[0-9a-fA-F]{16})")


def _plain_ampersands(value):
    return _IMPOSSIBLE_REFERENCE.sub("&#38;", value)


def _joined_text(tokens):
    """
    Adjacent text as one token. The DOM tree keeps `&` and `amp;` apart; bleach
    reads character references only within one token, so they must be joined.
    Impossible references are defused in text and attribute values alike.
    """
    text = []
    for token in tokens:
        if token["type"] in ("Characters", "SpaceCharacters"):
            text.append(token["data"])
            continue
        if text:
            yield {"type": "Characters", "data": _plain_ampersands("".join(text))}
            text = []
        if token["type"] in ("StartTag", "EmptyTag"):
            data = {key: _plain_ampersands(value) for key, value in token["data"].items()}
            token = {**token, "data": data}
        yield token
    if text:
        yield {"type": "Characters", "data": _plain_ampersands("".join(text))}


class _DropCodeAndForeignEmbeds(html5lib_shim.Filter):
    """
    Before sanitizing: drop script, style and the like with everything in them,
    drop iframes that are not allowlisted embeds, and rewrite the ones that are
    (rebuilt address, allowed features only, sandboxed). One pass over the
    parsed tokens: time in proportion to the body's length.
    """

    def __iter__(self):
        dropping = 0
        for token in super().__iter__():
            kind, name = token["type"], token.get("name", "").lower()
            if name in DROPPED_WITH_CONTENT or (name == "iframe" and dropping):
                if kind == "StartTag":
                    dropping += 1
                elif kind == "EndTag":
                    dropping -= 1
                continue
            if dropping:
                continue
            if name == "iframe" and kind == "StartTag":
                embed = self._embed(token)
                dropping = 1
                if embed is not None:
                    yield embed
                    yield {"type": "EndTag", "name": "iframe", "namespace": token["namespace"]}
                continue
            yield token

    @staticmethod
    def _embed(token):
        src = embed_src(html_entities.unescape(_attribute(token, "src") or ""))
        if src is None:
            return None
        data = {
            key: value
            for key, value in token["data"].items()
            if key[1] not in ("src", "allow", "sandbox")
        }
        data[(None, "src")] = src
        permissions = _embed_permissions(html_entities.unescape(_attribute(token, "allow") or ""))
        if permissions:
            data[(None, "allow")] = permissions
        data[(None, "sandbox")] = EMBED_SANDBOX
        return {**token, "data": data}


class _SafeLinks(html5lib_shim.Filter):
    """
    A link that opens a new window never hands that window a handle on ours
    (reverse tabnabbing): `noopener noreferrer` is forced and `opener` dropped.
    """

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                rel = (_attribute(token, "rel") or "").lower().split()
                rel = [value for value in rel if value != "opener"]
                if _attribute(token, "target") is not None:
                    rel += [value for value in ("noopener", "noreferrer") if value not in rel]
                data = {key: value for key, value in token["data"].items() if key[1] != "rel"}
                if rel:
                    data[(None, "rel")] = " ".join(rel)
                token = {**token, "data": data}
            yield token


# Bounds on what html5lib's tree construction does for each tag. It follows the
# HTML standard, which scans the stack of open elements for most tags and, at
# each new block, re-opens every formatting element (b, i, a…) still unclosed,
# so unclosed tags cost time growing with the square of their number, and a few
# KB of `<b title=1>…<b title=90>` followed by `<p>x<p>x…` grows into megabytes.
# Browsers cap nesting too (Chromium at 512); no article comes near these.
MAX_DEPTH = 100
MAX_OPEN_FORMATTING = 12
MAX_REOPENED = 1000

# The tokenizer has its own quadratic corners: it compares each attribute with
# every earlier one of the same tag and grows tag names a character at a time.
MAX_ATTRIBUTES = 32
MAX_NAME_LENGTH = 64  # longer than any tag we keep, so such a tag is dropped anyway
_NAME_ENDS = frozenset(" \t\n\r\f/>")
_ATTRIBUTE_NAME_ENDS = _NAME_ENDS | {"="}
_UNQUOTED_VALUE_ENDS = frozenset(" \t\n\r\f>")
_CHARACTERS = html5lib_shim.TAG_TOKEN_TYPE_CHARACTERS
_TEXT_TOKENS = frozenset({_CHARACTERS, tokenTypes["SpaceCharacters"]})
_PARSE_ERROR = tokenTypes["ParseError"]


class _Unread(str):
    """
    A comment's text, never kept: comments are stripped from every body, and
    html5lib appends to a comment once per `-` in it, copying all of it each time.
    """

    def __add__(self, other):
        return self


_UNREAD = _Unread()


class _ShallowTokenizer(html5lib_shim.BleachHTMLTokenizer):
    """
    A start tag that would nest deeper than MAX_DEPTH, or open one formatting
    element too many, is dropped; its text is kept. A tag keeps its first
    MAX_ATTRIBUTES - 1 attributes and its last; a tag or attribute name is
    read no further than MAX_NAME_LENGTH characters.

    html5lib grows a token's name, value or comment by one piece for each
    character it treats specially, each time copying all it has so far; the
    overrides below take such runs in one piece, so 500 KB of `&` in an
    attribute, of `-` in a comment or of `!` in an attribute name cost a
    single copy, not 500,000 ever longer ones.
    """

    def __iter__(self):
        """
        A run of text as one token. The tokenizer hands every `&` and every `<`
        that opens no tag to the parser alone, and each costs a tree node, a
        walker step and a filter step: 500 KB of them took seconds. Joined from
        its first non-space character on, the run builds the same tree. Parse
        errors, one per stray `<` or `&#`, are not passed on: the parser only
        records them, counting lines to do so, and nothing reads the record.
        """
        text = []
        for token in super().__iter__():
            if token["type"] == _PARSE_ERROR:
                continue
            if token["type"] in _TEXT_TOKENS:
                if text or token["type"] == _CHARACTERS:
                    text.append(token["data"])
                    continue
            elif text:
                yield {"type": _CHARACTERS, "data": "".join(text)}
                text = []
            yield token
        if text:
            yield {"type": _CHARACTERS, "data": "".join(text)}

    def entityDataState(self):
        """
        With references left as typed (consume_entities=False), bleach makes a
        token of each `&` alone; here an `&` and the text after it up to the
        next `<` are one token, read in one step.
        """
        if self.consume_entities:
            return super().entityDataState()
        text = "&" + self.stream.charsUntil("<")
        self.tokenQueue.append({"type": _CHARACTERS, "data": text})
        self.state = self.dataState
        return True

    def consumeEntity(self, allowedChar=None, fromAttribute=False):
        """In an attribute value, an `&` and the rest of the value are appended at once."""
        if self.consume_entities or not fromAttribute:
            return super().consumeEntity(allowedChar, fromAttribute)
        ends = allowedChar if allowedChar in ('"', "'") else _UNQUOTED_VALUE_ENDS
        self.currentToken["data"][-1][1] += "&" + self.stream.charsUntil(ends)

    def markupDeclarationOpenState(self):
        carry_on = super().markupDeclarationOpenState()
        if self.state == self.commentStartState:
            self.currentToken["data"] = _UNREAD
        return carry_on

    def doctypeState(self):
        """A doctype in a fragment is dropped whatever it says: read to its end, unparsed."""
        self.state = self.bogusDoctypeState
        return True

    def _few_attributes(self):
        attributes = self.currentToken.get("data")
        if isinstance(attributes, list) and len(attributes) > MAX_ATTRIBUTES:
            attributes[-2:] = attributes[-1:]  # the newest takes the place of the one before

    def beforeAttributeNameState(self):
        carry_on = super().beforeAttributeNameState()
        self._few_attributes()
        return carry_on

    def afterAttributeNameState(self):
        carry_on = super().afterAttributeNameState()
        self._few_attributes()
        return carry_on

    def tagNameState(self):
        if len(self.currentToken["name"]) >= MAX_NAME_LENGTH:
            self.stream.charsUntil(_NAME_ENDS)
        return super().tagNameState()

    def attributeNameState(self):
        if len(self.currentToken["data"][-1][0]) >= MAX_NAME_LENGTH:
            self.stream.charsUntil(_ATTRIBUTE_NAME_ENDS)
        return super().attributeNameState()

    def emitCurrentToken(self):
        token, tree = self.currentToken, self.parser.tree
        if token["type"] == html5lib_shim.TAG_TOKEN_TYPE_START and (
            len(tree.openElements) >= MAX_DEPTH
            or (
                token["name"].lower() in formattingElements
                and len(tree.activeFormattingElements) >= MAX_OPEN_FORMATTING
            )
        ):
            self.currentToken = {"type": html5lib_shim.TAG_TOKEN_TYPE_CHARACTERS, "data": ""}
        super().emitCurrentToken()


class _Node(_html5lib_dom.getDomModule(minidom).NodeBuilder):
    """
    html5lib's DOM node, moving its children to another parent in one pass.
    html5lib takes them off the front of a list one by one, each shifting the
    rest of the list: quadratic in their number, and 100,000 `<br>` are
    100,000 children, all moved when the fragment is handed out.
    """

    def reparentChildren(self, newParent):
        children = list(self.element.childNodes)
        del self.element.childNodes[:]
        for child in children:
            child.parentNode = child.previousSibling = child.nextSibling = None
            newParent.element.appendChild(child)
        self.childNodes = []

    def cloneNode(self):
        return _Node(self.element.cloneNode(False))


class _BoundedTreeBuilder(treebuilders.getTreeBuilder("dom")):
    """
    Re-opens unclosed formatting elements at most MAX_REOPENED times a
    document; its elements are _Node.
    """

    def elementClass(self, name, namespace=None):
        return _Node(super().elementClass(name, namespace).element)

    def fragmentClass(self):
        return _Node(super().fragmentClass().element)

    def reset(self):
        super().reset()
        self.reopened = 0

    def reconstructActiveFormattingElements(self):
        if self.reopened >= MAX_REOPENED:
            return
        depth = len(self.openElements)
        super().reconstructActiveFormattingElements()
        self.reopened += len(self.openElements) - depth


class _ShallowParser(html5lib_shim.BleachHTMLParser):
    def __init__(self, **kwargs):
        super().__init__(tree=_BoundedTreeBuilder, **kwargs)

    def _parse(self, stream, innerHTML=False, container="div", scripting=True, **kwargs):
        # bleach's own _parse, with the tokenizer above in place of bleach's.
        self.innerHTMLMode = innerHTML
        self.container = container
        self.scripting = scripting
        self.tokenizer = _ShallowTokenizer(
            stream=stream, consume_entities=self.consume_entities, parser=self, **kwargs
        )
        self.reset()
        try:
            self.mainLoop()
        except html5lib_shim.ReparseException:
            self.reset()
            self.mainLoop()


def sanitize_body(html):
    """
    Return `html` reduced to the article allowlist: no script, handler or unsafe URL.

    The body is parsed once by html5lib (bleach's parser) and every rule is a
    filter over its tokens: no regular expression ever runs over the raw HTML,
    so hostile input such as thousands of unclosed `<script` costs linear time.
    """
    if not html:
        return ""
    # A NUL means nothing in any body; html5lib would handle each on its own.
    html = html.replace("\x00", "")
    parser = _ShallowParser(
        tags=ALLOWED_TAGS | DROPPED_WITH_CONTENT,
        strip=True,
        consume_entities=False,
        namespaceHTMLElements=False,
    )
    walker = html5lib_shim.getTreeWalker("dom")
    stream = _DropCodeAndForeignEmbeds(_joined_text(walker(parser.parseFragment(html))))
    stream = BleachSanitizerFilter(
        source=stream,
        allowed_tags=ALLOWED_TAGS,
        attributes=_allow_attribute,
        allowed_protocols=ALLOWED_PROTOCOLS,
        strip_disallowed_tags=True,
        strip_html_comments=True,
    )
    serializer = html5lib_shim.BleachHTMLSerializer(
        quote_attr_values="always",
        omit_optional_tags=False,
        escape_lt_in_attrs=True,
        resolve_entities=False,
        sanitize=False,
        alphabetical_attributes=False,
    )
    return serializer.render(_SafeLinks(stream)).strip()


def validate_body_size(value):
    """Refuse a body over ARTICLES_MAX_BODY_BYTES before anything parses it."""
    size = len((value or "").encode())
    if size > settings.ARTICLES_MAX_BODY_BYTES:
        raise ValidationError(
            _("This text is %(size)s; it may be at most %(limit)s."),
            code="too_long",
            params={
                "size": filesizeformat(size),
                "limit": filesizeformat(settings.ARTICLES_MAX_BODY_BYTES),
            },
        )


# Where one block of text ends and the next begins; stripping tags must leave a space there.
_BLOCK_BOUNDARY = re.compile(
    r"</(?:p|h[1-6]|li|dt|dd|blockquote|figcaption|pre|td|th)>|<br\s*/?>", re.I
)


def excerpt_from(html, words=55):
    """A plain-text excerpt, WordPress's 55 words, for lists, feeds and meta tags."""
    text = _BLOCK_BOUNDARY.sub(" ", html)
    text = " ".join(html_entities.unescape(strip_tags(text)).split())
    return Truncator(text).words(words, truncate="…")

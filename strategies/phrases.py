"""Adjacent-word keys: what lets a phrase search skip the word vectors of most strategies.

The full-text index knows which strategies hold each word, not where: for "joint investigations"
it finds the 53,000 strategies (of 100,000) holding both words, and PostgreSQL then reads each of
their word vectors to find the 399 where the two stand side by side. So every strategy also keeps
`phrase_keys` (migration 0014): a 64-bit hash of each pair of words found next to each other in
its vector (`'joint investig'`), indexed. A phrase's pairs must all be among a strategy's keys
for it to match, which narrows 53,000 candidates to about 400 before any vector is read.
A key is taken for its pair: for two of the catalogue's pairs to share a 64-bit hash is about
as likely as one chance in a trillion, even with ten million distinct pairs.

This module is the pure part: from a search's query, as PostgreSQL's `websearch_to_tsquery()`
writes it (`'joint' <-> 'investig' & 'extradit'`), it works out the pairs that every match must
hold, and whether those pairs with the other words answer the query exactly, with no vector
read at all (a query of single words and two-word phrases: "money laundering" extradition).

A phrase with a stop word inside ("trafficking in persons", `'traffick' <2> 'person'`) has no
adjacent pair: its two words stand two positions apart. So the keys also hold every pair of
words two positions apart, written with " _ " between them (`'traffick _ person'`, migration
0017), and such a phrase is answered like any two-word phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What sits between the two words of a pair, in the keys and here, by how many positions apart
# they stand: side by side, or with one word (a stop word, say) between them. No word holds a
# space, so the two kinds of pair never share a text.
PAIR_SEPARATORS = {1: " ", 2: " _ "}


@dataclass(frozen=True)
class Word:
    text: str
    plain: bool  # no weight or prefix marker (`'crime':A`, `'launder':*`)


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class AllOf:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Followed:
    """`left <distance> right`: right stands `distance` positions after left ends."""

    left: Node
    distance: int
    right: Node


Node = Word | Not | AllOf | AnyOf | Followed


@dataclass(frozen=True)
class PhraseKeys:
    """What a query needs of `phrase_keys`.

    `pairs`: word pairs that every matching strategy holds side by side ("joint investig") or
    two positions apart ("traffick _ person"); empty when the query has no phrase, or none that
    keys can narrow.
    `exact`: the pairs, with `words` when there are any, match exactly the strategies the query
    matches, so no word vector needs reading for the phrases: the query is single words and
    two-word phrases joined by AND. Otherwise the word vectors must still be tested.
    `words`: the query's single words joined by `&` as tsquery text, for an exact query.
    """

    pairs: tuple[str, ...] = ()
    exact: bool = False
    words: str | None = None


class TsqueryParseError(ValueError):
    pass


_TOKEN = re.compile(
    r"\s*(?:(?P<word>'(?:[^']|'')*')(?::(?P<marks>[A-D*]+))?|(?P<distance><(?:-|\d+)>)"
    r"|(?P<op>[!&|()]))"
)


def parse_tsquery(text: str) -> Node | None:
    """The tree of a tsquery as PostgreSQL writes it out; None for an empty query."""
    tokens = _tokens(text)
    if not tokens:
        return None
    parser = _Parser(tokens)
    node = parser.any()
    if parser.position != len(tokens):
        raise TsqueryParseError(f"unexpected {tokens[parser.position]!r} in {text!r}")
    return node


def _tokens(text: str) -> list[tuple[str, object]]:
    tokens: list[tuple[str, object]] = []
    text = text.rstrip()
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise TsqueryParseError(f"cannot read {text[position:]!r} in {text!r}")
        position = match.end()
        if match["word"] is not None:
            # Written out with ' doubled and \ escaped by another \.
            raw = match["word"][1:-1]
            word = re.sub(r"\\(.)", r"\1", raw.replace("''", "'"))
            tokens.append(("word", Word(word, plain=match["marks"] is None)))
        elif match["distance"] is not None:
            inner = match["distance"][1:-1]
            tokens.append(("distance", 1 if inner == "-" else int(inner)))
        else:
            tokens.append((match["op"], None))
    return tokens


class _Parser:
    """Precedence as PostgreSQL's: ! binds tightest, then <->, then &, then |."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> str | None:
        return self.tokens[self.position][0] if self.position < len(self.tokens) else None

    def _take(self):
        token = self.tokens[self.position]
        self.position += 1
        return token

    def any(self) -> Node:
        return self._joined("|", self.all, AnyOf)

    def all(self) -> Node:
        return self._joined("&", self.followed, AllOf)

    def _joined(self, operator: str, operand, node_class) -> Node:
        """One or more operands joined by `operator`, as one node of `node_class` if several."""
        operands = [operand()]
        while self._peek() == operator:
            self._take()
            operands.append(operand())
        return operands[0] if len(operands) == 1 else node_class(tuple(operands))

    def followed(self) -> Node:
        node = self.unary()
        while self._peek() == "distance":
            _kind, distance = self._take()
            node = Followed(node, distance, self.unary())
        return node

    def unary(self) -> Node:
        kind = self._peek()
        if kind == "!":
            self._take()
            return Not(self.unary())
        if kind == "(":
            self._take()
            node = self.any()
            if self._peek() != ")":
                raise TsqueryParseError("unclosed parenthesis")
            self._take()
            return node
        if kind == "word":
            return self._take()[1]
        raise TsqueryParseError(f"expected a word, found {kind!r}")


def _chain(node: Node) -> tuple[list[Word], list[int]] | None:
    """(words, distances between them) of a phrase of plain words built left to right, as
    websearch_to_tsquery() builds every phrase; None for anything else."""
    if isinstance(node, Word):
        return ([node], []) if node.plain else None
    if isinstance(node, Followed) and isinstance(node.right, Word) and node.right.plain:
        left = _chain(node.left)
        if left is not None:
            return [*left[0], node.right], [*left[1], node.distance]
    return None


def _pairs(chain: tuple[list[Word], list[int]]) -> list[str]:
    """The chain's pairs of words one or two positions apart, as the keys hash them; words
    further apart make none."""
    words, distances = chain
    return [
        f"{first.text}{PAIR_SEPARATORS[distance]}{second.text}"
        for first, second, distance in zip(words[:-1], words[1:], distances, strict=True)
        if distance in PAIR_SEPARATORS
    ]


def tsquery_literal(words: list[str]) -> str:
    """Words joined by & as tsquery input, each quoted as it must be."""
    quoted = ("'" + word.replace("\\", "\\\\").replace("'", "''") + "'" for word in words)
    return " & ".join(quoted)


def phrase_keys(tsquery_text: str) -> PhraseKeys:
    """What the query (tsquery text, as PostgreSQL writes it) needs of the phrase keys."""
    node = parse_tsquery(tsquery_text)
    if node is None:
        return PhraseKeys()
    terms = node.operands if isinstance(node, AllOf) else (node,)
    pairs: list[str] = []
    words: list[str] = []
    exact = True
    for term in terms:
        chain = _chain(term)
        if chain is None:
            # NOT, OR, a marked word or an unusual phrase: left to the word vectors.
            exact = False
            continue
        found = _pairs(chain)
        pairs.extend(found)
        if len(chain[0]) == 1:
            words.append(chain[0][0].text)
        elif len(chain[0]) > 2 or not found:
            exact = False  # longer phrases, and words further apart, need the positions
    unique = tuple(dict.fromkeys(pairs))
    if not unique:
        return PhraseKeys()
    if not exact:
        return PhraseKeys(unique)
    return PhraseKeys(unique, True, tsquery_literal(list(dict.fromkeys(words))) if words else None)

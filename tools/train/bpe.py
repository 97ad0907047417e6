"""Byte-level BPE: training (ranked merges) and encoding, GPT-2 style.

Text is split into pre-tokens with the GPT-2 pattern (steer's `gpt-2`
pre-tokenizer), each pre-token is mapped to bytes, and merges never cross a
pre-token boundary. Training counts unique pre-tokens once with their
frequency and updates pair counts incrementally, so each merge costs time
proportional to the words that contain the merged pair.
"""
import heapq
import re
from collections import Counter, defaultdict

# The GPT-2 pre-tokenizer. Python's `re` has no \p{L}/\p{N}: [^\W\d_] is a
# letter, \d a digit, and the last class is "neither space, letter nor digit"
# (which includes '_', as in GPT-2).
PRETOKEN_RE = re.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    """GPT-2's reversible map from the 256 byte values to printable characters
    (the form tokens take in GGUF `tokenizer.ggml.tokens`)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    mapping, extra = {}, 0
    for b in range(256):
        if b in keep:
            mapping[b] = chr(b)
        else:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


def pretokenize(text):
    return PRETOKEN_RE.findall(text)


def train(texts, num_merges, min_frequency=2, log=None):
    """Returns the ranked merges as a list of (bytes, bytes) pairs."""
    word_counts = Counter()
    for t in texts:
        word_counts.update(pretokenize(t))
    words = [list(w.encode("utf-8")) for w in word_counts]   # symbols: byte strings as ints / tuples
    words = [[bytes([b]) for b in w] for w in words]
    freqs = list(word_counts.values())

    pair_counts = Counter()
    where = defaultdict(set)  # pair -> indices of words containing it
    for i, w in enumerate(words):
        for a, b in zip(w, w[1:]):
            pair_counts[(a, b)] += freqs[i]
            where[(a, b)].add(i)
    # Max-heap on (count, pair); ties broken by the smaller pair bytes so runs
    # are deterministic. Entries go stale and are checked on pop.
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)

    merges = []
    while len(merges) < num_merges and heap:
        neg, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -neg:
            continue
        if -neg < min_frequency:
            break
        merges.append(pair)
        a, b = pair
        merged = a + b
        changed = Counter()
        for i in list(where[pair]):
            w = words[i]
            f = freqs[i]
            j, out = 0, []
            while j < len(w):
                if j + 1 < len(w) and w[j] == a and w[j + 1] == b:
                    out.append(merged)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            if out == w:
                continue
            for x, y in zip(w, w[1:]):
                changed[(x, y)] -= f
            for x, y in zip(out, out[1:]):
                changed[(x, y)] += f
                where[(x, y)].add(i)
            words[i] = out
        for p, d in changed.items():
            if d == 0:
                continue
            pair_counts[p] += d
            if pair_counts[p] <= 0:
                del pair_counts[p]
            else:
                heapq.heappush(heap, (-pair_counts[p], p))
        del where[pair]
        pair_counts.pop(pair, None)
        if log and len(merges) % 500 == 0:
            log(f"bpe: {len(merges)}/{num_merges} merges")
    return merges


def vocab_from_merges(merges):
    """Token byte strings: the 256 single bytes in byte order, then each new
    merge result in rank order (two merges can give the same bytes)."""
    vocab = [bytes([b]) for b in range(256)]
    seen = set(vocab)
    for a, b in merges:
        if a + b not in seen:
            seen.add(a + b)
            vocab.append(a + b)
    return vocab


class Encoder:
    """Encodes text with ranked merges into ids of `vocab_from_merges`."""

    def __init__(self, merges):
        self.rank = {p: r for r, p in enumerate(merges)}
        self.id_of = {t: i for i, t in enumerate(vocab_from_merges(merges))}
        self.cache = {}

    def encode_word(self, word):
        hit = self.cache.get(word)
        if hit is not None:
            return hit
        syms = [bytes([b]) for b in word.encode("utf-8")]
        while len(syms) > 1:
            best, at = None, -1
            for k in range(len(syms) - 1):
                r = self.rank.get((syms[k], syms[k + 1]))
                if r is not None and (best is None or r < best):
                    best, at = r, k
            if best is None:
                break
            syms[at:at + 2] = [syms[at] + syms[at + 1]]
        ids = [self.id_of[s] for s in syms]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        out = []
        for w in pretokenize(text):
            out.extend(self.encode_word(w))
        return out

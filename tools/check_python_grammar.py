#!/usr/bin/env python3
"""Checks that models/python_function.gbnf only describes valid Python:
derives random strings from the grammar and parses each with ast.parse.

  python3 tools/check_python_grammar.py [--n 20000] [--seed 1] [GRAMMAR]

Understands the GBNF subset the grammar uses: literals, classes ([...],
[^...]), rule references, groups, |, *, +, ?. Derivations past a depth
limit take the cheapest alternative, so they stay finite.
"""
import argparse
import ast
import random
import re
import sys

TOKEN_RE = re.compile(r'''\s*(?:(#[^\n]*)|(::=)|("(?:[^"\\]|\\.)*")|(\[(?:[^\]\\]|\\.)*\])|([A-Za-z0-9-]+)|([()|*+?])|(\n))''')
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "[": "[", "]": "]", "'": "'"}
ALPHABET = [chr(c) for c in range(0x20, 0x7f)] + ["\n", "\t", "\u00e9", "\u4e2d"]


def unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\":
            if s[i + 1] == "x":
                out.append(chr(int(s[i + 2:i + 4], 16)))
                i += 4
                continue
            out.append(ESCAPES[s[i + 1]])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def parse_class(body):
    neg = body.startswith("^")
    chars = unescape_class(body[1:] if neg else body)
    return ("class", [c for c in ALPHABET if (c in chars) != neg])


def unescape_class(body):
    items, i = [], 0
    while i < len(body):
        if body[i] == "\\":
            if body[i + 1] == "x":
                items.append(chr(int(body[i + 2:i + 4], 16)))
                i += 4
            else:
                items.append(ESCAPES[body[i + 1]])
                i += 2
        else:
            items.append(body[i])
            i += 1
    chars, k = set(), 0
    while k < len(items):
        if k + 2 < len(items) and items[k + 1] == "-":
            chars |= {chr(c) for c in range(ord(items[k]), ord(items[k + 2]) + 1)}
            k += 3
        else:
            chars.add(items[k])
            k += 1
    return chars


def parse(text):
    toks = []
    for m in TOKEN_RE.finditer(text):
        comment, defn, lit, cls, name, op, nl = m.groups()
        if comment:
            continue
        toks.append(("nl", None) if nl else ("defn", None) if defn else ("lit", unescape(lit[1:-1])) if lit
                    else parse_class(cls[1:-1]) if cls else ("name", name) if name else ("op", op))
    rules, i = {}, 0

    def alts(depth):
        nonlocal i
        options, seq = [], []
        while i < len(toks):
            kind, v = toks[i]
            if kind == "nl" and depth == 0:
                break
            if kind == "nl" or (kind == "name" and i + 1 < len(toks) and toks[i + 1][0] == "defn" and depth == 0):
                if kind == "nl":
                    i += 1
                    continue
                break
            if kind == "op" and v == ")":
                break
            i += 1
            if kind == "op" and v == "|":
                options.append(seq)
                seq = []
            elif kind == "op" and v == "(":
                seq.append(("alt", alts(depth + 1)))
                i += 1  # ')'
            elif kind == "op":
                seq[-1] = ("rep", seq[-1], v)
            else:
                seq.append((kind, v))
        options.append(seq)
        return options

    while i < len(toks):
        if toks[i][0] == "nl":
            i += 1
            continue
        name = toks[i][1]
        i += 2
        rules[name] = ("alt", alts(0))
    return rules


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("grammar", nargs="?", default="models/python_function.gbnf")
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--depth", type=int, default=24, help="past this depth, cheapest alternatives only")
    args = ap.parse_args()
    rules = parse(open(args.grammar).read())
    rng = random.Random(args.seed)
    cost = {}  # rule -> min derivation length (fixpoint)

    def node_cost(n):
        kind = n[0]
        if kind == "lit":
            return len(n[1])
        if kind == "class":
            return 1
        if kind == "name":
            return cost.get(n[1], 10 ** 9)
        if kind == "rep":
            return node_cost(n[1]) if n[2] == "+" else 0
        return min(sum(node_cost(x) for x in seq) for seq in n[1])

    for _ in range(50):
        for r, body in rules.items():
            cost[r] = node_cost(body)

    def gen(n, depth, out):
        kind = n[0]
        if kind == "lit":
            out.append(n[1])
        elif kind == "class":
            out.append(rng.choice(n[1]))
        elif kind == "name":
            gen(rules[n[1]], depth + 1, out)
        elif kind == "rep":
            lo = 1 if n[2] == "+" else 0
            k = lo
            while depth <= args.depth and rng.random() < (0.5 if n[2] == "?" else 0.3):
                k += 1
                if n[2] == "?":
                    break
            for _ in range(k):
                gen(n[1], depth + 1, out)
        else:
            seqs = n[1]
            if depth > args.depth:
                seq = min(seqs, key=lambda s: sum(node_cost(x) for x in s))
            else:
                seq = rng.choice(seqs)
            for x in seq:
                gen(x, depth + 1, out)

    bad = 0
    for _ in range(args.n):
        out = []
        gen(rules["root"], 0, out)
        text = "".join(out)
        try:
            ast.parse(text)
        except (SyntaxError, ValueError) as e:
            bad += 1
            if bad <= 10:
                print(f"does not parse ({e.msg if hasattr(e, 'msg') else e}): {text!r}")
    print(f"{args.n} random strings of {args.grammar}: {bad} do not parse")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

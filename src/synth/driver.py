# steer synth driver: runs inside the sandbox next to the files the harness
# writes (program.py, prompt.txt, inputs.txt). The first stdin line is a
# per-run nonce; only lines starting with it count as the driver's reports,
# so a candidate that prints or exits early cannot fake a verdict.
# Modes (argv[1]):
#   test      exec program.py (prompt + completion + test + check call)
#   examples  exec program.py (prompt + completion), then check the docstring
#             examples of the entry point parsed from prompt.txt
#   inputs N  report up to N argument lists ("in [...]"): the docstring
#             examples, then edge-case variants of each argument and seeded
#             random mutations in turn, then "end"
#   run       exec program.py, call the entry point on each inputs.txt line
# Exit codes: 0 done, 3 syntax error, 4 wrong answer, 5 runtime error,
# 6 memory error, 7 bad driver input.
import io, sys

# Modules are imported where they are used: most runs ("test" mode, passing)
# need none of them, and each import costs startup time on every run.

NONCE = sys.stdin.readline().strip()
sys.stdin = io.StringIO()
MODE = sys.argv[1]
ENTRY = sys.argv[2] if len(sys.argv) > 2 else ""
REAL_STDOUT = sys.stdout


def report(text):
    REAL_STDOUT.write(NONCE + " " + text + "\n")
    REAL_STDOUT.flush()


def print_exc(**kwargs):
    import traceback
    traceback.print_exc(**kwargs)


def load_program():
    src = open("program.py", encoding="utf-8", errors="surrogateescape").read()
    try:
        code = compile(src, "program.py", "exec")
    except (SyntaxError, ValueError):
        print_exc(limit=0)
        sys.exit(3)
    g = {"__name__": "__main__"}
    try:
        exec(code, g)
    except AssertionError:
        print_exc()
        sys.exit(4)
    except MemoryError:
        sys.exit(6)
    except BaseException:
        print_exc()
        sys.exit(5)
    return g


# --- docstring examples -----------------------------------------------------

SEPARATORS = ["should return", "# returns", "# =>", "returns", "==>", "=>", "==", "➞", "->", "="]


def balanced_call(line, start):
    """Index just past the ')' closing the '(' at line[start], or -1."""
    depth, quote = 0, None
    for i in range(start, len(line)):
        c = line[i]
        if quote:
            if c == quote and line[i - 1] != "\\":
                quote = None
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
    return -1


def parse_expr(text):
    """The longest prefix of text (by whole words) that is an expression."""
    import ast
    text = text.strip().rstrip(".").strip()
    words = text.split(" ")
    for n in range(len(words), 0, -1):
        cand = " ".join(words[:n]).strip().rstrip(".,")
        if not cand:
            continue
        try:
            ast.parse(cand, mode="eval")
            return cand
        except SyntaxError:
            continue
    return None


def call_args(call_src):
    """Positional arguments of a call expression as values, or None."""
    import ast
    try:
        node = ast.parse(call_src, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call) or node.keywords:
        return None
    try:
        return [ast.literal_eval(a) for a in node.args]
    except (ValueError, SyntaxError, TypeError):
        return None


def expected_value(src):
    try:
        return True, eval(compile(src, "<expected>", "eval"), {"__builtins__": {}}, {})
    except Exception:
        return False, None


def examples(prompt, entry):
    """[(args, expected_src)] from '>>> f(x)' + next lines and 'f(x) SEP y'."""
    import re
    out = []
    lines = prompt.split("\n")
    pat = re.compile(r"\b" + re.escape(entry) + r"\s*\(")
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        if s.startswith(">>>"):
            call = s[3:].strip()
            exp = []
            j = i + 1
            while j < len(lines):
                t = lines[j].strip()
                if not t or t.startswith(">>>") or t.startswith('"""') or t.startswith("'''"):
                    break
                exp.append(t)
                j += 1
            args = call_args(call) if pat.match(call) else None
            if args is not None and exp:
                out.append((args, " ".join(exp)))
            i = j
            continue
        m = pat.search(s)
        if m and not s.startswith("def "):
            end = balanced_call(s, m.end() - 1)
            if end > 0:
                args = call_args(s[m.start():end])
                rest = s[end:].strip()
                for sep in SEPARATORS:
                    if rest.startswith(sep):
                        exp = parse_expr(rest[len(sep):])
                        if args is not None and exp is not None:
                            out.append((args, exp))
                        break
        i += 1
    return out


def same(a, b):
    import math
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b and type(a) == type(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
    if isinstance(a, (list, tuple)) and type(a) == type(b):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


# --- input mutation ----------------------------------------------------------
# Random, type-preserving mutations of the example arguments (AlphaCode's
# mutation of test inputs): ints and floats moved by small and large deltas,
# sign flips, scaling and fresh log-uniform magnitudes; strings edited at
# random positions with characters from their own alphabet plus COMMON_CHARS;
# lists and tuples with elements mutated, added, dropped, repeated, swapped,
# shuffled, sorted or reversed, dicts with values mutated and keys dropped or
# added; nested values recursively (to depth MAX_DEPTH). Sizes stay within
# Bounds, so runs stay short.

COMMON_CHARS = " aZ0."
# A substituted digit or letter is, half of the time, another of its class,
# so formatted text (dates, times, numbers, identifiers) keeps its format.
CHAR_CLASSES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
MAX_DEPTH = 3


class Bounds:
    """Limits from the examples: |numbers| <= num, len(str) <= text,
    len(list/tuple/dict) <= seq."""

    def __init__(self, base):
        self.num, self.text, self.seq = 0, 0, 0
        for args in base:
            for a in args:
                self.scan(a, 0)
        self.num = max(1000, 10 * self.num)
        self.text = max(16, 2 * self.text)
        self.seq = max(8, 2 * self.seq)

    def scan(self, v, depth):
        if isinstance(v, bool) or depth > MAX_DEPTH:
            return
        if isinstance(v, (int, float)) and abs(v) < 1e18:
            self.num = max(self.num, abs(v))
        elif isinstance(v, str):
            self.text = max(self.text, len(v))
        elif isinstance(v, (list, tuple, dict)):
            self.seq = max(self.seq, len(v))
            for x in (list(v.keys()) + list(v.values()) if isinstance(v, dict) else v):
                self.scan(x, depth + 1)


def mutate_number(v, rng, b):
    """A number of v's type near v, far from v, or fresh, within +-b.num."""
    op = rng.randrange(6)
    if op == 0:
        x = v + rng.choice([-3, -2, -1, 1, 2, 3])
    elif op == 1:
        r = max(10, abs(v))
        x = v + rng.uniform(-r, r)
    elif op == 2:
        x = -v
    elif op == 3:
        x = v * 2 if rng.random() < 0.5 else v / 2
    else:  # a fresh magnitude, log-uniform in [0, b.num], either sign
        x = (b.num + 1) ** rng.random() - 1
        if rng.random() < 0.5:
            x = -x
    x = max(-b.num, min(b.num, x))
    if isinstance(v, int):
        return int(round(x))
    if op in (0, 2):
        return float(x)
    return round(x, rng.choice([0, 1, 2]))


def mutate_text(v, rng, b):
    """1-3 edits: insert, delete, substitute (see CHAR_CLASSES), case
    change, adjacent swap, or a repeated slice."""
    s = list(v)
    alphabet = sorted(set(v))
    for _ in range(1 + (rng.random() < 0.5) + (rng.random() < 0.25)):
        op = rng.randrange(6) if s else 0
        if op in (0, 5) and len(s) >= b.text:
            op = 1
        i = rng.randrange(len(s)) if s else 0
        c = rng.choice(alphabet) if alphabet and rng.random() < 0.75 else rng.choice(COMMON_CHARS)
        if op == 0:
            s.insert(rng.randrange(len(s) + 1), c)
        elif op == 1:
            del s[i]
        elif op == 2:
            same = [k for k in CHAR_CLASSES if s[i] in k]
            s[i] = rng.choice(same[0]) if same and rng.random() < 0.5 else c
        elif op == 3:
            s[i] = s[i].swapcase()
        elif op == 4 and len(s) > 1:
            j = i + 1 if i + 1 < len(s) else i - 1
            s[i], s[j] = s[j], s[i]
        elif op == 5:
            j = rng.randrange(i, len(s)) + 1
            s[j:j] = s[i:j][:b.text - len(s)]
    return "".join(s)


def mutate_items(items, rng, b, depth):
    """1-3 list edits in place, by weight: mutate an element 3, add a mutated
    copy of one 2, and 1 each: drop one, repeat a slice, swap two, shuffle,
    sort, reverse. An empty list stays empty: its element type is unknown."""
    for _ in range(1 + (rng.random() < 0.5) + (rng.random() < 0.25)):
        if not items:
            return
        op = (0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7)[rng.randrange(11)]
        if op in (1, 3) and len(items) >= b.seq:
            op = 2
        i = rng.randrange(len(items))
        if op == 0:
            items[i] = mutate(items[i], rng, b, depth + 1)
        elif op == 1:
            items.insert(rng.randrange(len(items) + 1), mutate(items[i], rng, b, depth + 1))
        elif op == 2:
            del items[i]
        elif op == 3:
            j = rng.randrange(i, len(items)) + 1
            items[j:j] = items[i:j][:b.seq - len(items)]
        elif op == 4:
            j = rng.randrange(len(items))
            items[i], items[j] = items[j], items[i]
        elif op == 5:
            rng.shuffle(items)
        elif op == 6:
            try:
                items.sort(reverse=rng.random() < 0.3)
            except TypeError:
                rng.shuffle(items)
        else:
            items.reverse()


def mutate(v, rng, b, depth=0):
    """A random value of v's type (recursively for containers) within b.
    Values nested deeper than MAX_DEPTH are kept as they are."""
    if depth > MAX_DEPTH:
        return v
    if isinstance(v, bool):
        return not v
    if isinstance(v, (int, float)):
        return mutate_number(v, rng, b)
    if isinstance(v, str):
        return mutate_text(v, rng, b)
    if isinstance(v, (list, tuple)):
        items = list(v)
        mutate_items(items, rng, b, depth)
        return type(v)(items)
    if isinstance(v, dict):
        d = dict(v)
        if not d:
            return d
        k = rng.choice(list(d))
        op = rng.randrange(3)
        if op == 0 or len(d) == 1 and op == 1:
            d[k] = mutate(d[k], rng, b, depth + 1)
        elif op == 1:
            del d[k]
        elif len(d) < b.seq:
            new = mutate(k, rng, b, depth + 1)
            try:
                d[new] = mutate(d[k], rng, b, depth + 1)
            except TypeError:  # an unhashable key
                pass
        return d
    return v


def variants(v, types=()):
    """Type-preserving edge cases of one argument value, most telling first:
    empties, single elements and the other short prefixes, zero and signs,
    off-by-one, order, case, a palindrome, a dropped or repeated element.
    `types`: the numeric types the examples show at this argument's position;
    when they show both int and float, a number also appears as the equal
    value of the other type (5 -> 5.0, 3.0 -> 3)."""
    if isinstance(v, bool):
        return [not v]
    if isinstance(v, int):
        out = [float(v)] if float in types else []
        out += [0, 1, -1, v + 1, v - 1, -v, 2, 3, 10]
        if abs(v) <= 50:
            out.append(2 * v)
        return out + [4, 5, 6, 7, 8, 9, 100]  # then the rest of the small values, one large
    if isinstance(v, float):
        out = [int(v)] if int in types and v.is_integer() else []
        return out + [0.0, 1.0, -1.0, v + 0.5, -v, v * 2, 0.5, round(v, 0) + 0.5]
    if isinstance(v, str):
        out = ["", v[:1], v[::-1], v + v[-1:], v[1:], v[:-1]]
        out += [v[:k] for k in range(2, min(len(v) - 1, 5))]
        out += [v.upper(), v.lower(), v.swapcase(), " ", v + " ", " " + v]
        if len(v) > 1:
            out.append(v[1] + v[0] + v[2:])
            out.append(v[:1] * len(v))
            out.append(v + v[-2::-1])
        return out
    if isinstance(v, (list, tuple)):
        items = list(v)
        outs = [[], items[:1], items[::-1], items + items[-1:], items[1:], items[:-1]]
        outs += [items[:k] for k in range(2, min(len(items) - 1, 5))]
        try:
            outs.append(sorted(items))
            outs.append(sorted(items, reverse=True))
        except TypeError:
            pass
        if len(items) > 1:
            outs.append(items + items[-2::-1])
        if items:
            for x in variants(items[0])[:4]:
                outs.append([x] + items[1:])
            for x in variants(items[-1])[:3]:
                outs.append(items[:-1] + [x])
            outs.append(items[:1] * len(items))
        return [type(v)(o) for o in outs]
    if isinstance(v, dict):
        out = [{}]
        if v:
            k = next(iter(v))
            out.append({k: v[k]})
        return out
    return []


def derive_inputs(prompt, entry, n):
    """Up to n distinct argument lists: the examples, then edge cases and
    random mutations taking turns (either fills in when the other runs out),
    so every prefix holds both. Edge cases: each example with one argument
    replaced by each of its variants, round robin over argument positions
    (see the queues below).
    Mutations: an example or, half of the time, an earlier input (so they
    compound), with one argument mutated and each other one with
    probability 0.3. Deterministic: the generator is seeded by the entry
    point's name."""
    import random, zlib
    base = [args for args, _ in examples(prompt, entry)]
    if not base:
        return []
    rng = random.Random(zlib.crc32(entry.encode()))
    bounds = Bounds(base)
    seen, out = set(), []

    def add(args):
        r = repr(args)
        if r in seen or len(out) >= n:
            return False
        seen.add(r)
        out.append(args)
        return True

    for args in base:
        add(list(args))
    # One queue per argument position: rank by rank, that argument's
    # variants in each example. A variant whose value the position already
    # had (in an example or an earlier edge case) is put off until no
    # position has a new value left, so a small budget still covers the
    # distinct values (sizes 0-4, 0-10, ...) of every argument.
    import itertools
    width = max(len(args) for args in base)
    tried = [set() for _ in range(width)]
    queues, put_off = [], []
    for i in range(width):
        at_i = [args[i] for args in base if i < len(args)]
        numeric = {type(a) for a in at_i if type(a) in (int, float)}
        types = numeric if len(numeric) > 1 else ()
        per_example = [[(i, args[:i] + [x] + args[i + 1:]) for x in variants(args[i], types)]
                       for args in base if i < len(args)]
        queues.append([e for rank in itertools.zip_longest(*per_example) for e in rank if e is not None])
        tried[i].update(repr(a) for a in at_i)

    def next_edge_case():
        while any(queues):
            q = queues.pop(0)
            queues.append(q)
            while q:
                i, args = q.pop(0)
                if repr(args[i]) in tried[i]:
                    put_off.append(args)
                    continue
                tried[i].add(repr(args[i]))
                if add(args):
                    return True
        while put_off:
            if add(put_off.pop(0)):
                return True
        return False

    attempts = [0]

    def next_mutation():
        while attempts[0] < 50 * n:
            attempts[0] += 1
            args = list(base[attempts[0] % len(base)] if rng.random() < 0.5 else rng.choice(out))
            k = rng.randrange(len(args)) if args else 0
            for i in range(len(args)):
                if i == k or rng.random() < 0.3:
                    args[i] = mutate(args[i], rng, bounds)
            if add(args):
                return True
        return False

    edge_left = mutation_left = True
    while len(out) < n and (edge_left or mutation_left):
        if edge_left:
            edge_left = next_edge_case()
        if mutation_left and len(out) < n:
            mutation_left = next_mutation()
    return out


# --- modes --------------------------------------------------------------------

class CallTimeout(BaseException):
    pass


def on_alarm(signum, frame):
    raise CallTimeout()


def main():
    if MODE == "test":
        load_program()
        report("done")
        return
    if MODE == "inputs":
        prompt = open("prompt.txt", encoding="utf-8").read()
        for args in derive_inputs(prompt, ENTRY, int(sys.argv[3])):
            report("in " + repr(args))
        report("end")
        return
    g = load_program()
    fn = g.get(ENTRY)
    if not callable(fn):
        print("entry point %r is not defined" % ENTRY, file=sys.stderr)
        sys.exit(5)
    import copy
    if MODE == "examples":
        prompt = open("prompt.txt", encoding="utf-8").read()
        exs = examples(prompt, ENTRY)
        checked = 0
        for k, (args, exp_src) in enumerate(exs):
            ok, exp = expected_value(exp_src)
            if not ok:
                continue
            checked += 1
            shown = "%s(%s)" % (ENTRY, ", ".join(repr(a) for a in args))
            try:
                got = fn(*copy.deepcopy(args))
            except MemoryError:
                sys.exit(6)
            except BaseException:
                print_exc()
                print("while running example %d: %s" % (k, shown), file=sys.stderr)
                sys.exit(5)
            if not same(got, exp):
                print("example %d: %s returned %r, expected %s" % (k, shown, got, exp_src), file=sys.stderr)
                sys.exit(4)
        report("done %d" % checked)
        return
    if MODE == "run":
        import ast, signal
        signal.signal(signal.SIGALRM, on_alarm)
        sink = io.StringIO()
        for line in open("inputs.txt", encoding="utf-8"):
            line = line.strip()
            if not line:
                continue
            try:
                args = ast.literal_eval(line)
            except Exception:
                sys.exit(7)
            sys.stdout = sink
            signal.setitimer(signal.ITIMER_REAL, 1.0)
            try:
                out = repr(fn(*copy.deepcopy(args)))[:4000]
            except CallTimeout:
                out = "TIMEOUT"
            except RecursionError:
                out = "EXC RecursionError"
            except BaseException as e:
                out = "EXC " + type(e).__name__
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                sys.stdout = REAL_STDOUT
                sink.seek(0)
                sink.truncate()
            report(out)
        return
    sys.exit(7)


main()

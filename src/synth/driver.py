# steer synth driver: runs inside the sandbox next to the files the harness
# writes (program.py, prompt.txt, inputs.txt). The first stdin line is a
# per-run nonce; only lines starting with it count as the driver's reports,
# so a candidate that prints or exits early cannot fake a verdict.
# Modes (argv[1]):
#   test      exec program.py (prompt + completion + test + check call)
#   examples  exec program.py (prompt + completion), then check the docstring
#             examples of the entry point parsed from prompt.txt
#   inputs N  report up to N argument lists ("in [...]"): the docstring
#             examples, edge-case variants of each argument, deterministic
#             mutations, then "end"
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

def mutate(v, rng, depth=0):
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return rng.choice([v + 1, v - 1, -v, 2 * v, 0, v + rng.randint(-10, 10)])
    if isinstance(v, float):
        return rng.choice([v + 0.5, v * 2, -v, round(v * 1.5, 2), v - 1.25, round(v + rng.uniform(-3, 3), 2)])
    if isinstance(v, str):
        if not v:
            return rng.choice(["a", " ", "ab"])
        k = rng.randrange(len(v))
        return rng.choice([v[::-1], v + v[0], v[1:], v.upper(), v.lower(), v.swapcase(),
                           v[:k] + v[rng.randrange(len(v))] + v[k:]])
    if isinstance(v, (list, tuple)):
        items = list(v)
        choice = rng.randrange(6)
        if choice == 0:
            items.reverse()
        elif choice == 1 and items:
            del items[rng.randrange(len(items))]
        elif choice == 2 and items and depth < 3:
            items.append(mutate(items[rng.randrange(len(items))], rng, depth + 1))
        elif choice == 3:
            try:
                items.sort()
            except TypeError:
                rng.shuffle(items)
        elif choice == 4 and depth < 3:
            items = [mutate(x, rng, depth + 1) if rng.random() < 0.5 else x for x in items]
        else:
            rng.shuffle(items)
        return type(v)(items)
    if isinstance(v, dict) and depth < 3:
        return {k: (mutate(x, rng, depth + 1) if rng.random() < 0.5 else x) for k, x in v.items()}
    return v


def variants(v):
    """Type-preserving edge cases of one argument value, most telling first:
    empties, single elements, zero and signs, off-by-one, order, case,
    a dropped or repeated element."""
    if isinstance(v, bool):
        return [not v]
    if isinstance(v, int):
        out = [0, 1, -1, v + 1, v - 1, -v, 2, 3, 10]
        if abs(v) <= 50:
            out.append(2 * v)
        return out + [4, 5, 6, 7, 8, 9, 100]  # then the rest of the small values, one large
    if isinstance(v, float):
        return [0.0, 1.0, -1.0, v + 0.5, -v, v * 2, 0.5, round(v, 0) + 0.5]
    if isinstance(v, str):
        out = ["", v[:1], v[::-1], v + v[-1:], v[1:], v[:-1], v.upper(), v.lower(), v.swapcase(), " ", v + " ", " " + v]
        if len(v) > 1:
            out.append(v[1] + v[0] + v[2:])
            out.append(v[:1] * len(v))
        return out
    if isinstance(v, (list, tuple)):
        items = list(v)
        outs = [[], items[:1], items[::-1], items + items[-1:], items[1:], items[:-1]]
        try:
            outs.append(sorted(items))
            outs.append(sorted(items, reverse=True))
        except TypeError:
            pass
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
    """Up to n distinct argument lists: the examples, then each example with
    one argument replaced by each of its variants (round robin over examples
    and positions, so a small n still covers every argument), then random
    compound mutations."""
    import random, zlib
    base = [args for args, _ in examples(prompt, entry)]
    if not base:
        return []
    rng = random.Random(zlib.crc32(entry.encode()))
    seen, out = set(), []

    def add(args):
        r = repr(args)
        if r not in seen and len(out) < n:
            seen.add(r)
            out.append(args)

    for args in base:
        add(list(args))
    queues = []
    for args in base:
        for i in range(len(args)):
            queues.append([args[:i] + [x] + args[i + 1:] for x in variants(args[i])])
    k = 0
    while len(out) < n and any(queues):
        q = queues[k % len(queues)]
        if q:
            add(q.pop(0))
        k += 1
    attempts = 0
    while len(out) < n and attempts < 50 * n:
        attempts += 1
        # Mutate an example or, half of the time, an earlier input.
        args = list(base[attempts % len(base)] if rng.random() < 0.5 else rng.choice(out))
        k = rng.randrange(len(args)) if args else 0
        for i in range(len(args)):
            if i == k or rng.random() < 0.3:
                args[i] = mutate(args[i], rng)
        add(args)
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

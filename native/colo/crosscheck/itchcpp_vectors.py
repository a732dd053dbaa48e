"""ITCH 5.0 messages made by an independent implementation (PyPI itchcpp 1.6.4), for the
cross-check in test/native/itchcpp.test.ts.

  itchcpp_vectors.py encode OUT.itch   one message of every type, each field set to a value of its
                                       own, written length-prefixed; prints itchcpp's own decoding
                                       of those bytes as JSON lines
  itchcpp_vectors.py book FILE SYMBOL… itchcpp's book over FILE: per symbol its best bid and offer,
                                       and the count of messages by type, as JSON
  itchcpp_vectors.py bench FILE RUNS SYMBOL…
                                       the best of RUNS times (s) of itchcpp's one-pass decode + book
                                       (BookManager.process_stream) over FILE, as JSON (npm run bench:colo)
"""

import json
import sys

import itchcpp
from itchcpp import book as itch_book
from itchcpp import parser as itch_parser

TYPES = b"SRHYLVWKJhAFECXDUPQBINO"
SKIP = {"description", "message_size", "message_type", "price_precision"}


def plain(v):
    if isinstance(v, bytes):
        return v.decode("latin1")
    return v


def fill(message_type: int, seed: int):
    """A message whose every field is set: integers from a counter, characters and text cycled."""
    m = itchcpp.create_message(bytes([message_type]))
    n = seed
    for name in sorted(a for a in m.get_attributes() if a not in SKIP):
        n += 7919
        if name == "timestamp":
            value = 34_200_000_000_000 + n
        elif name in ("stock_locate", "tracking_number"):
            value = n % 65536
        else:
            value = n
        try:
            setattr(m, name, value)
            continue
        except TypeError:
            pass
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        text = (letters[n % 26] + letters[(n // 26) % 26] + "XY" + letters[(n // 7) % 26]).encode()
        for candidate in (text, text[:4], text[:2], text[:1]):
            try:
                setattr(m, name, candidate)
                break
            except (TypeError, ValueError):
                continue
    return m


def encode(path: str) -> None:
    out = bytearray()
    for seed, t in enumerate(TYPES):
        raw = fill(t, seed * 1000).to_bytes()
        out += len(raw).to_bytes(2, "big") + raw
    with open(path, "wb") as f:
        f.write(out)
    for msg in itch_parser.MessageParser().parse_file(open(path, "rb")):
        fields = {a: plain(getattr(msg, a)) for a in msg.get_attributes() if a not in SKIP}
        print(json.dumps({"type": msg.message_type.decode() if isinstance(msg.message_type, bytes) else msg.message_type, **fields}))


def book(path: str, symbols: list[str]) -> None:
    manager = itch_book.BookManager()
    for s in symbols:
        manager.track_symbol(s)
    data = open(path, "rb").read()
    manager.process_stream(data)
    counts: dict[str, int] = {}
    for msg in itch_parser.MessageParser().parse_file(open(path, "rb")):
        t = msg.message_type.decode() if isinstance(msg.message_type, bytes) else msg.message_type
        counts[t] = counts.get(t, 0) + 1
    tops = {}
    for s in symbols:
        b = manager.book_for_symbol(s).bbo()
        tops[s] = {
            "bid": b.bid_price if b.has_bid else None,
            "ask": b.ask_price if b.has_ask else None,
            "bidSize": b.bid_shares if b.has_bid else 0,
            "askSize": b.ask_shares if b.has_ask else 0,
        }
    print(json.dumps({"counts": counts, "tops": tops}))


def bench(path: str, runs: int, symbols: list[str]) -> None:
    import time

    data = open(path, "rb").read()
    best = float("inf")
    for _ in range(runs):
        manager = itch_book.BookManager()
        for s in symbols:
            manager.track_symbol(s)
        t0 = time.perf_counter()
        manager.process_stream(data)
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"seconds": best}))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "encode":
        encode(sys.argv[2])
    elif len(sys.argv) >= 5 and sys.argv[1] == "bench":
        bench(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    elif len(sys.argv) >= 4 and sys.argv[1] == "book":
        book(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)

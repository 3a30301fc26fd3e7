#!/usr/bin/env python3
"""Reads QR codes with an independent decoder (zxing-cpp, from PyPI), for the tests of the
project's own encoder.

Input (stdin): one code per block, rows of '0' (light) and '1' (dark) modules, blocks separated
by an empty line; no quiet zone. Output (stdout): one JSON object per block, in order:
{"text": ..., "format": ..., "ecLevel": ..., "version": ...}, or {"text": null} when nothing was
read. Exit status 3 when zxing-cpp or numpy is missing (the caller decides whether that is a
failure), 0 otherwise.
"""
import json
import sys

try:
    import numpy
    import zxingcpp
except ImportError as error:  # pragma: no cover
    print(f"decode.py: {error}; pip install zxing-cpp numpy", file=sys.stderr)
    sys.exit(3)

QUIET, SCALE = 4, 4


def image(rows):
    size = len(rows)
    side = (size + 2 * QUIET) * SCALE
    pixels = numpy.full((side, side), 255, dtype=numpy.uint8)
    for y, row in enumerate(rows):
        for x, module in enumerate(row):
            if module == "1":
                top, left = (y + QUIET) * SCALE, (x + QUIET) * SCALE
                pixels[top:top + SCALE, left:left + SCALE] = 0
    return pixels


def main():
    blocks = [block.split() for block in sys.stdin.read().strip().split("\n\n") if block.strip()]
    for rows in blocks:
        results = zxingcpp.read_barcodes(image(rows), formats=zxingcpp.BarcodeFormat.QRCode)
        if not results:
            print(json.dumps({"text": None}))
            continue
        first = results[0]
        print(json.dumps({"text": first.text, "format": str(first.format), "ecLevel": first.ec_level,
                          "version": getattr(first, "version", None)}))


if __name__ == "__main__":
    main()

# Regenerates Faraday's icons (amber lightning bolt on navy) with only the Python stdlib: no image tools needed.
# Usage: python3 public/icons/generate.py  -> writes icon-192.png, icon-512.png, maskable-512.png and ../favicon.ico
import os
import struct
import zlib

NAVY = (0x0F, 0x17, 0x2A)
AMBER = (0xF5, 0x9E, 0x0B)
SUBSAMPLES = 8  # sub-scanlines per pixel row, for anti-aliased edges

# Lightning bolt in unit coordinates (x right, y down), clockwise.
BOLT = [
    (0.58, 0.04), (0.80, 0.04), (0.60, 0.40), (0.78, 0.40),
    (0.34, 0.96), (0.44, 0.54), (0.24, 0.54),
]


def place(points, size, radius):
    """Centre the glyph's bounding box and scale it so every vertex lies within `radius` (fraction of size) of the centre."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    far = max(((x - cx) ** 2 + (y - cy) ** 2) ** 0.5 for x, y in points)
    k = radius / far
    return [((0.5 + (x - cx) * k) * size, (0.5 + (y - cy) * k) * size) for x, y in points]


def polygon_coverage(poly, size):
    """Per-pixel coverage (0..1) of a polygon, even-odd rule, exact horizontally and supersampled vertically."""
    cov = [[0.0] * size for _ in range(size)]
    edges = list(zip(poly, poly[1:] + poly[:1]))
    for row in range(size):
        line = cov[row]
        for s in range(SUBSAMPLES):
            y = row + (s + 0.5) / SUBSAMPLES
            xs = sorted(
                x0 + (y - y0) * (x1 - x0) / (y1 - y0)
                for (x0, y0), (x1, y1) in edges
                if (y0 <= y < y1) or (y1 <= y < y0)
            )
            for a, b in zip(xs[::2], xs[1::2]):
                a, b = max(a, 0.0), min(b, float(size))
                for px in range(int(a), min(int(b) + 1, size)):
                    overlap = min(b, px + 1) - max(a, px)
                    if overlap > 0:
                        line[px] += overlap / SUBSAMPLES
    return cov


def rounded_rect_alpha(size, corner):
    """Alpha of a full-size square with rounded corners (corner = radius in px), anti-aliased by distance."""
    alpha = [[1.0] * size for _ in range(size)]
    if corner <= 0:
        return alpha
    for y in range(size):
        for x in range(size):
            dx = max(corner - (x + 0.5), 0, (x + 0.5) - (size - corner))
            dy = max(corner - (y + 0.5), 0, (y + 0.5) - (size - corner))
            if dx and dy:
                d = (dx * dx + dy * dy) ** 0.5 - corner
                alpha[y][x] = min(1.0, max(0.0, 0.5 - d))
    return alpha


def render(size, maskable):
    # Maskable icons are cropped to a circle of radius 40%: full-bleed background, glyph well inside it.
    # "any" icons are shown as-is: rounded corners, a larger glyph.
    glyph = polygon_coverage(place(BOLT, size, 0.36 if maskable else 0.40), size)
    bg = rounded_rect_alpha(size, 0 if maskable else size * 0.18)
    rows = []
    for y in range(size):
        row = bytearray([0])  # PNG filter type 0 (None)
        for x in range(size):
            g = min(glyph[y][x], 1.0)
            rgb = [round(n + (a - n) * g) for n, a in zip(NAVY, AMBER)]
            row += bytes(rgb + [round(255 * bg[y][x])])
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(width, height, raw):
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def ico(images):
    """ICO container holding PNG-encoded images (supported by every current browser)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for size, data in images:
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    return header + entries + blobs


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outputs = {
        os.path.join(here, "icon-192.png"): render(192, False),
        os.path.join(here, "icon-512.png"): render(512, False),
        os.path.join(here, "maskable-512.png"): render(512, True),
        os.path.join(here, "..", "favicon.ico"): ico([(s, render(s, False)) for s in (16, 32, 48)]),
    }
    for path, data in outputs.items():
        with open(path, "wb") as f:
            f.write(data)
        print(f"wrote {os.path.normpath(path)} ({len(data)} bytes)")


if __name__ == "__main__":
    main()

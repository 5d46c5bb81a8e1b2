"""Writes the tiny NonLinLoc fixtures of traveltime/tests/nll.rs, independently
of the Rust code: headers by hand, buffers with Python's struct ('<f' =
little-endian float32), x slowest and z fastest.

Run from this directory: python3 make_fixtures.py
"""
import struct

NX, NY, NZ = 2, 3, 4


def nodes():
    for ix in range(NX):
        for iy in range(NY):
            for iz in range(NZ):
                yield ix, iy, iz


def write(base, header, values, fmt="<f"):
    with open(base + ".hdr", "w") as f:
        f.write(header)
    with open(base + ".buf", "wb") as f:
        for v in values:
            f.write(struct.pack(fmt, v))


# Node (ix, iy, iz) holds 1 + 100 ix + 10 iy + iz: checks the buffer order.
write("order.mod", "2 3 4  -1.0 2.0 -0.5  0.5 0.5 0.25 VELOCITY\n",
      [1 + 100 * ix + 10 * iy + iz for ix, iy, iz in nodes()])

# Vel2Grid's default SLOW_LEN: slowness (s/km) times dx = 0.5 km, for the
# velocity v = 5 + ix + 0.5 iy + 0.25 iz km/s.
write("slowlen.P.mod",
      "2 3 4  0.0 0.0 0.0  0.5 0.5 0.5 SLOW_LEN FLOAT\n"
      "TRANSFORM  SIMPLE LatOrig 35.700000  LongOrig -117.500000  RotCW 0.000000\n",
      [0.5 / (5 + ix + 0.5 * iy + 0.25 * iz) for ix, iy, iz in nodes()])

# Same velocities in m/s as 8-byte doubles.
write("meters_double.S.mod", "2 3 4  0.0 0.0 0.0  0.5 0.5 0.5 VELOCITY_METERS DOUBLE\n",
      [1000 * (5 + ix + 0.5 * iy + 0.25 * iz) for ix, iy, iz in nodes()], fmt="<d")

# A travel-time grid of station STA1 at (0.25, 0.5, -0.1) km; t = 0.01 * linear index.
write("tiny.P.STA1.time",
      "2 3 4  0.0 0.0 0.0  0.5 0.5 0.5 TIME FLOAT\nSTA1 0.25 0.5 -0.1\nTRANSFORM  NONE\n",
      [0.01 * ((ix * NY + iy) * NZ + iz) for ix, iy, iz in nodes()])

# A buffer one value short of its header.
write("truncated", "2 3 4  0.0 0.0 0.0  0.5 0.5 0.5 VELOCITY\n", [5.0] * (NX * NY * NZ - 1))

# A velocity grid with one zero velocity at node (1, 2, 3).
write("zero_velocity", "2 3 4  0.0 0.0 0.0  0.5 0.5 0.5 VELOCITY\n",
      [0.0 if (ix, iy, iz) == (1, 2, 3) else 5.0 for ix, iy, iz in nodes()])

"""A minimal GGUF v3 writer: metadata of the types the model needs, and F32
tensors. Layout: header, key/values, tensor infos, padding to the alignment
(32), tensor data (each tensor padded to the alignment)."""
import struct

ALIGN = 32
T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY = 4, 5, 6, 7, 8, 9


def _str(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


class GgufWriter:
    def __init__(self):
        self.kv = []       # (key, encoded type+value bytes)
        self.tensors = []  # (name, dims ggml order, float32 bytes)

    def u32(self, key, v):
        self.kv.append((key, struct.pack("<I", T_UINT32) + struct.pack("<I", v)))

    def f32(self, key, v):
        self.kv.append((key, struct.pack("<I", T_FLOAT32) + struct.pack("<f", v)))

    def boolean(self, key, v):
        self.kv.append((key, struct.pack("<I", T_BOOL) + struct.pack("<B", 1 if v else 0)))

    def string(self, key, v):
        self.kv.append((key, struct.pack("<I", T_STRING) + _str(v)))

    def strings(self, key, values):
        body = b"".join(_str(v) for v in values)
        self.kv.append((key, struct.pack("<IIQ", T_ARRAY, T_STRING, len(values)) + body))

    def i32s(self, key, values):
        body = struct.pack(f"<{len(values)}i", *values)
        self.kv.append((key, struct.pack("<IIQ", T_ARRAY, T_INT32, len(values)) + body))

    def f32s(self, key, values):
        body = struct.pack(f"<{len(values)}f", *values)
        self.kv.append((key, struct.pack("<IIQ", T_ARRAY, T_FLOAT32, len(values)) + body))

    def tensor_f32(self, name, array):
        """`array` is a numpy float32 array in row-major [rows][cols] order;
        GGUF dims are written fastest-first (cols, rows)."""
        import numpy as np
        a = np.ascontiguousarray(array, dtype=np.float32)
        self.tensors.append((name, list(reversed(a.shape)), a.tobytes()))

    def write(self, path):
        out = bytearray(b"GGUF")
        out += struct.pack("<IQQ", 3, len(self.tensors), len(self.kv))
        for key, val in self.kv:
            out += _str(key) + val
        offset = 0
        offsets = []
        for name, dims, data in self.tensors:
            offsets.append(offset)
            out += _str(name) + struct.pack("<I", len(dims))
            out += struct.pack(f"<{len(dims)}Q", *dims)
            out += struct.pack("<IQ", 0, offset)  # type 0 = F32
            offset += (len(data) + ALIGN - 1) // ALIGN * ALIGN
        out += b"\0" * ((-len(out)) % ALIGN)
        for (_, _, data), off in zip(self.tensors, offsets):
            out += data + b"\0" * ((-len(data)) % ALIGN)
        with open(path, "wb") as f:
            f.write(out)

#!/usr/bin/env python3
"""Writes libxcrypt.tsv: hashes made by this machine's libxcrypt (Debian 12),
the library HAProxy's crypt() calls. Run: python3 gen_libxcrypt.py > libxcrypt.tsv

Settings come from libxcrypt's own crypt_gensalt (what mkpasswd and passwd
write) with fixed random bytes, plus hand-built ones for rarer parameters."""
import ctypes
import sys

lib = ctypes.CDLL("libcrypt.so.1")
lib.crypt_gensalt.restype = ctypes.c_char_p
lib.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
lib.crypt.restype = ctypes.c_char_p
lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]

PASSWORDS = ["password", "", "correct horse battery staple", "p\u00e4ssw\u00f6rd \u2603",
             "x" * 100, "a", "0123456789abcdef", "0123456789abcdefg"]


def gensalt(prefix, count, seed):
    rb = bytes((seed * 37 + i * 11) & 0xff for i in range(16))
    s = lib.crypt_gensalt(prefix.encode(), count, rb, len(rb))
    if s is None:
        sys.exit("crypt_gensalt(%s, %d) failed" % (prefix, count))
    return s.decode()


settings = []
seed = 0
# yescrypt: every cost mkpasswd -R accepts up to 6 (7..11 only double N).
for count in range(1, 7):
    seed += 1
    settings.append(gensalt("$y$", count, seed))
settings += [
    "$y$j9T$SALTSALTSALT$",       # python3 -c "crypt.crypt(pw, '$y$j9T$SALTSALTSALT$')"
    "$y$j75..$AAAABBBBCCCC$",      # p=2
    "$y$j75/.$AAAABBBBCCCC$",      # t=1
    "$y$j750./$AAAABBBBCCCC$",     # p=2, t=2
    "$y$/75$WORMsalt$",        # WORM flavor
    "$y$.75$AAAA$",                # classic scrypt flavor
    "$y$j75$$",                    # empty salt
    "$y$j75$./$",                  # one-byte salt
    "$y$j75$.../$",                # two-byte salt
    "$y$jD5$abcd$",                # N=2^15, r=8: prehashed
]
# scrypt: libxcrypt's cheapest generated cost (32 MiB), then small hand-made ones
seed += 1
settings.append(gensalt("$7$", 6, seed))
settings += [
    "$7$6/..../..../plainsalt$",        # N=2^8, r=1, p=1, salt "/plainsalt" used as text
    "$7$7./.../....abc",                # N=2^9, r=64, p=1, no '$' after the salt
    "$7$8/....1....SodiumChloride$",    # N=2^10, r=1, p=3
]
# traditional DES and bcrypt
for i in range(3):
    seed += 1
    settings.append(gensalt("", 0, seed))
settings += ["ab", "./", "zz", "Az"]
# bigcrypt: a setting longer than 13 characters and passwords over 8 bytes
settings += ["abcdefghijklmnopqrstuvwxyz", "zz0123456789.0123456789/0123456789A"]
# sha1crypt
seed += 1
settings.append(gensalt("$sha1$", 1000, seed))
settings += ["$sha1$1$abc$", "$sha1$0$abc", "$sha1$$x$", "$sha1$0042$salt./09AZaz$"]
# NT hash (the setting's rest is ignored)
settings += ["$3$", "$3$ignored"]
# BSDi extended DES
seed += 1
settings.append(gensalt("_", 0, seed))
settings += ["_....abcd", "_/...abcd", "_zz..abcdEXTRA"]
for prefix in ("$2b$", "$2a$", "$2y$"):
    seed += 1
    settings.append(gensalt(prefix, 4, seed))
seed += 1
settings.append(gensalt("$2b$", 5, seed))

print("# password<TAB>hash from libxcrypt (Debian 12): python3 testdata/gen_libxcrypt.py > testdata/libxcrypt.tsv")
for i, s in enumerate(settings):
    # Every password on cheap settings, two on the costly ones (>= 16 MiB).
    costly = s[:5] in ("$y$j9", "$y$jA", "$y$jD", "$7$BU")
    for pw in (PASSWORDS if i % 3 == 0 and not costly else PASSWORDS[i % len(PASSWORDS):][:2]):
        h = lib.crypt(pw.encode(), s.encode())
        if h is None or h.startswith(b"*"):
            sys.exit("crypt(%r, %r) failed: %r" % (pw, s, h))
        print("%s\t%s" % (pw, h.decode()))

package crypt

import (
	"bufio"
	"crypto/des"
	"encoding/binary"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// TestVectors checks every hash of testdata/vectors.txt (made by openssl
// passwd and libxcrypt, see its first line) and testdata/libxcrypt.tsv
// (made by testdata/gen_libxcrypt.py) is reproduced and verified, and that
// a wrong password fails.
func TestVectors(t *testing.T) {
	n := 0
	for _, file := range []string{"testdata/vectors.txt", "testdata/libxcrypt.tsv"} {
		for _, v := range readVectors(t, file) {
			n++
			t.Run(v.hash, func(t *testing.T) {
				got, err := Crypt(v.pw, v.hash)
				if err != nil || got != v.hash {
					t.Errorf("Crypt(%q, %q) = %q, %v", v.pw, v.hash, got, err)
				}
				wrong := "!" + v.pw // DES reads 8 bytes, bcrypt 72: change the first
				if ok, err := Check(wrong, v.hash); ok || err != nil {
					t.Errorf("Check(%q, %q) = %v, %v; want false, nil", wrong, v.hash, ok, err)
				}
				if !Supported(v.hash) {
					t.Errorf("Supported(%q) = false", v.hash)
				}
			})
		}
	}
	if n < 100 {
		t.Fatalf("only %d vectors read", n)
	}
}

type vector struct{ pw, hash string }

func readVectors(t *testing.T, file string) []vector {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []vector
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		pw, hash, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("%s: bad vector line %q", file, line)
		}
		out = append(out, vector{pw, hash})
	}
	return out
}

func TestUnsupported(t *testing.T) {
	for _, tc := range []struct{ desc, hash string }{
		{"gost-yescrypt", "$gy$j9T$abcd$8EKZJqa5mDKNpXR4KEucecPqe2hRxdXDdOMYyaX62E4"},
		{"SunMD5", "$md5,rounds=904$Vc3VgyFx$$RAUbHqhD0ZyKVxwyjSDh21"},
		{"gost-yescrypt", "$gy$j9T$abcd$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"},
		{"DES salt out of the alphabet", "a:bcdefghijkl"},
		{"one character", "a"},
		{"bcrypt $2z$", "$2z$05$/OK.fbVrR/bpIqNJ5ianF.nRht2l/HRhr6zmCp9vYUvvsqynflf9e"},
		{"empty", ""},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if ok, err := Check("pw", tc.hash); ok || err != ErrUnsupported {
				t.Errorf("Check = %v, %v; want false, ErrUnsupported", ok, err)
			}
			if Supported(tc.hash) {
				t.Errorf("Supported(%q) = true", tc.hash)
			}
		})
	}
	for _, setting := range []string{"$5$rounds=x$salt$", "$7$6/..../..../plain-salt$", "$y$j75$a$", "$2b$03$/OK.fbVrR/bpIqNJ5ianF.",
		"$2b$05$/OK.fbVrR/bpIqNJ5ian!.", "$y$j.5$AAAA$", "$y$zzzzzzz$a$"} {
		if _, err := Crypt("pw", setting); err != ErrMalformed {
			t.Errorf("Crypt(%q): err %v, want ErrMalformed", setting, err)
		}
	}
}

// FuzzParseYescrypt feeds any string to the $y$ setting parser: it must
// never panic, and what it accepts must re-encode to the same salt.
func FuzzParseYescrypt(f *testing.F) {
	for _, s := range []string{"$y$j9T$SALTSALTSALT$", "$y$j750./$AAAABBBBCCCC$x", "$y$/75$WORMsalt$",
		"$y$.75$AAAA$", "$y$j75$$", "$7$6/..../..../plainsalt$", "$7$7./.../....abc", "$y$jFT$ALBP0TkeJJg1v7Nx5ZrLD0", "$y$zzzzzzz$a$", "$y$j75/2$ab$"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, setting string) {
		pr, prefix, salt, err := parseYescrypt(setting)
		if err != nil {
			return
		}
		if !strings.HasPrefix(setting, prefix) || strings.HasPrefix(setting, "$y$") && !strings.HasSuffix(prefix, encode64Bytes(salt)) {
			t.Errorf("%q: prefix %q, salt %x", setting, prefix, salt)
		}
		if pr.n*uint64(pr.r)*128 > maxMemory {
			t.Errorf("%q: accepted %d bytes of memory", setting, pr.n*uint64(pr.r)*128)
		}
	})
}

func FuzzCrypt(f *testing.F) {
	f.Add("pw", "$1$salt$")
	f.Add("pw", "$5$rounds=1000$salt$x")
	f.Add("", "$6$$")
	f.Add("pw", "$y$.../$AAAA$")
	f.Add("pw", "$2b$04$/OK.fbVrR/bpIqNJ5ianF.")
	f.Add("pw", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq")
	f.Add("pw", "ab")
	f.Add("pw", "$7$6/..../..../plainsalt$")
	f.Add("0123456789abcdefg", "_/...abcd")
	f.Add("pw", "$sha1$42$abc$")
	f.Add("0123456789abcdefg", "abcdefghijklmnopqrstuvwxyz")
	f.Fuzz(func(t *testing.T, pw, setting string) {
		if strings.Contains(setting, "rounds=") {
			return // keep each run short: huge round counts are valid input
		}
		if pr, _, _, err := parseYescrypt(setting); err == nil && float64(pr.n)*float64(pr.r)*float64(pr.p)*(float64(pr.t)+1) > 1<<12 {
			return // likewise for yescrypt's costs
		}
		if strings.HasPrefix(setting, "$2") && len(setting) > 6 && setting[4:6] > "06" {
			return // and bcrypt's
		}
		if r, ok := strings.CutPrefix(setting, "$sha1$"); ok && len(r) > 4 && r[4] != '$' {
			return // sha1crypt over 9999 rounds
		}
		if strings.HasPrefix(setting, "_") && len(setting) >= 5 && setting[3:5] != ".." {
			return // and BSDi's over 4095 rounds
		}
		Crypt(pw, setting)
	})
}

// The vectors are what `openssl passwd -1/-5/-6` and glibc's crypt(3)
// give for these passwords and salts.
func TestPublishedVectors(t *testing.T) {
	testCrypt(t, []cryptCase{
		{"md5", "password", "$1$saltstri$qQY4WxjABChYG1ccLpfkz/"},
		{"sha256", "password", "$5$saltstring$OH4IDuTlsuTYPdED1gsuiRMyTAwNlRWyA6Xr3I4/dQ5"},
		{"sha512", "password", "$6$saltstring$adDbXsJjcDlq2662QPgd.tkSOVmnG9Tt3oXl4HR60SusC3AGjirnDenVZp3DGwLwqy6iYKCzannhaX9DR72nN1"},
		{"sha256 rounds", "Hello world!", "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"},
		{"sha512 rounds", "Hello world!", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
		{"empty password", "", "$5$salt$HrcUzzoef72uxM/YhTU5BAi419Fblqlq//zyM.rIOG0"},
	})
}

// cryptCase is a password and the hash it must give.
type cryptCase struct{ desc, password, want string }

func testCrypt(t *testing.T, cases []cryptCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			if got, err := Crypt(tc.password, tc.want); err != nil || got != tc.want {
				t.Errorf("Crypt = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestDESCipher checks the DES core against crypto/des: with a zero salt
// and one pass it is plain DES.
func TestDESCipher(t *testing.T) {
	for _, tc := range []struct{ desc, key, block string }{
		{"zero", "0000000000000000", "0000000000000000"},
		{"FIPS example", "133457799bbcdff1", "0123456789abcdef"},
		{"ones", "ffffffffffffffff", "ffffffffffffffff"},
		{"mixed", "0e329232ea6d0d73", "8787878787878787"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			key, _ := hex.DecodeString(tc.key)
			block, _ := hex.DecodeString(tc.block)
			c, err := des.NewCipher(key)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]byte, 8)
			c.Encrypt(want, block)
			ks := desSubkeys(binary.BigEndian.Uint64(key))
			if got := desEncrypt(binary.BigEndian.Uint64(block), &ks, 0); got != binary.BigEndian.Uint64(want) {
				t.Errorf("got %016x, want %x", got, want)
			}
		})
	}
}

// TestBcryptHighBytes: passwords with 8-bit bytes, where $2a$ departs from
// $2b$ for some (crypt_blowfish's anti-collision tweak) and $2x$ keeps the
// old sign-extension bug. Made with
// libxcrypt: python3 -c 'import ctypes; l=ctypes.CDLL("libcrypt.so.1");
// l.crypt.restype=ctypes.c_char_p; print(l.crypt(PW, b"$2a$05$/OK.fbVrR/bpIqNJ5ianF."))'
func TestBcryptHighBytes(t *testing.T) {
	testCrypt(t, []cryptCase{
		{"ff a3 2a", "\xff\xa3345", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.nRht2l/HRhr6zmCp9vYUvvsqynflf9e"},
		{"ff a3 2b", "\xff\xa3345", "$2b$05$/OK.fbVrR/bpIqNJ5ianF.nRht2l/HRhr6zmCp9vYUvvsqynflf9e"},
		{"a3", "\xa3", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq"},
		{"ff ff a3 2a tweaked", "\xff\xff\xa3", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.nqd1wy.pTMdcvrRWxyiGL2eMz.2a85."},
		{"ff ff a3 2b", "\xff\xff\xa3", "$2b$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e"},
		{"utf-8", "\xd1\x91", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.E737eUK7jOqGXQUPcu5iAm8pR815Cru"},
		{"ff ff inside", "abc\xff\xffdef", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.LrJ5OX8J1GPjE1moRm2CpCCFSTCVZcm"},
		{"2x sign-extension bug", "\xff\xa3345", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.o./n25XVfn6oAPaUvHe.Csk4zRfsYPi"},
		{"2x a3", "\xa3", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e"},
		{"2x utf-8", "\xd1\x91", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.0yXpIXmnfqDjOFVOF43llu.gQI61.F6"},
		{"2x ascii", "password", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.l.TBDAibFW.sOHlvKHwmGrkm1nQj2YC"},
	})
}

// TestBlowfishPi: the computed initial state has Blowfish's published
// first and last words.
func TestBlowfishPi(t *testing.T) {
	st := bfInitial()
	for _, tc := range []struct {
		desc      string
		got, want uint32
	}{
		{"P[0]", st.p[0], 0x243f6a88},
		{"P[17]", st.p[17], 0x8979fb1b},
		{"S0[0]", st.s[0][0], 0xd1310ba6},
		{"S3[255]", st.s[3][255], 0x3ac372e6},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %08x, want %08x", tc.desc, tc.got, tc.want)
		}
	}
}

// TestMD4 checks the digest against RFC 1320's test suite.
func TestMD4(t *testing.T) {
	for _, tc := range []struct{ msg, want string }{
		{"", "31d6cfe0d16ae931b73c59d7e0c089c0"},
		{"a", "bde52cb31de33e46245e05fbdbd6fb24"},
		{"abc", "a448017aaf21d8525fc10ae87aa6729d"},
		{"message digest", "d9130a8164549fe818874806e1c7014b"},
		{"abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4"},
		{strings.Repeat("1234567890", 8), "e33b4ddc9c38f2199c3e7b164fcc0536"},
	} {
		sum := md4([]byte(tc.msg))
		if got := hex.EncodeToString(sum[:]); got != tc.want {
			t.Errorf("md4(%q) = %s, want %s", tc.msg, got, tc.want)
		}
	}
}

// TestYescryptCosts: the settings libxcrypt's crypt_gensalt writes for
// mkpasswd -R 1..11 decode to the N and r its gensalt documents (r=8 and
// N=2^(R+9) below 3, else r=32 and N=2^(R+7)), within our memory ceiling.
// The costly ones (64 MiB and up) are not hashed here.
func TestYescryptCosts(t *testing.T) {
	settings := []string{"$y$j75$vpOguen1gPQ1zf9bKOrUL.", "$y$j85$y5OxKpeWcgn/gi3c.tJ570", "$y$j7T$6ftNcIeHm65gntPfOW3tE/",
		"$y$j8T$53r0YSv9GlYPtjfmBhGWp1", "$y$j9T$fMp1x4X/8U4pzznBHYgy21", "$y$jAT$T8fL9riKPXlZ1UCKyflrQ/",
		"$y$jBT$lMq7PyWhYm7D8Z3OGBi5M.", "$y$jCT$acjBU.6jLKL8ue6nV4M091", "$y$jDT$taH5V8xNwcIL1UPSvSEH51",
		"$y$jET$SG4uYTxevD5Ed11L64NFz1", "$y$jFT$ALBP0TkeJJg1v7Nx5ZrLD0"}
	for i, s := range settings {
		cost := i + 1
		wantR, wantN := uint32(32), uint64(1)<<(cost+7)
		if cost < 3 {
			wantR, wantN = 8, 1<<(cost+9)
		}
		pr, _, salt, err := parseYescrypt(s)
		if err != nil || pr.r != wantR || pr.n != wantN || pr.p != 1 || pr.t != 0 || pr.flags != ysRWStandard || len(salt) != 16 {
			t.Errorf("-R %d %q: %+v, %d salt bytes, %v; want N=%d r=%d", cost, s, pr, len(salt), err, wantN, wantR)
		}
	}
}

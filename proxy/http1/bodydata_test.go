package http1

import "testing"

// nextAll feeds rest to a body of the response head in pieces of step
// bytes through Next and returns the data, the trailers and how much of
// rest the body took.
func nextAll(t testing.TB, head, rest string, step int) (data, trailers string, used int, done bool, err error) {
	opts := DefaultOptions()
	var r Response
	if _, err := r.Parse([]byte(head), &opts, []byte("GET")); err != nil {
		t.Fatal(err)
	}
	var b Body
	b.StartResponse(&r, &opts)
	var tr []byte
	for used < len(rest) && !b.Done() {
		end := min(used+step, len(rest))
		p := []byte(rest[used:end])
		for len(p) > 0 && !b.Done() {
			n, d, trOut, err := b.Next(p, tr)
			tr = trOut
			if err != nil {
				return data, string(tr), used, b.Done(), err
			}
			data += string(d)
			used += n
			p = p[n:]
			if n == 0 {
				break
			}
		}
	}
	return data, string(tr), used, b.Done(), nil
}

func TestBodyNext(t *testing.T) {
	const chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	for _, tc := range []struct {
		desc, head, rest string
		data, trailers   string
		used             int
		done             bool
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n", "abcdNEXT", "abcd", "", 4, true},
		{"chunked", chunked, "2\r\nab\r\n3;x=y\r\ncde\r\n0\r\n\r\nNEXT", "abcde", "\r\n", 24, true},
		{"trailers", chunked, "1\r\na\r\n0\r\nX-A: 1\r\nX-B: 2\r\n\r\nNEXT", "a", "X-A: 1\r\nX-B: 2\r\n\r\n", 27, true},
		{"unfinished", chunked, "5\r\nab", "ab", "", 5, false},
	} {
		for _, step := range []int{1, 3, 1000} {
			data, trailers, used, done, err := nextAll(t, tc.head, tc.rest, step)
			if err != nil || data != tc.data || trailers != tc.trailers || used != tc.used || done != tc.done {
				t.Errorf("%s by %d: data %q trailers %q used %d done %v err %v; want %q %q %d %v",
					tc.desc, step, data, trailers, used, done, err, tc.data, tc.trailers, tc.used, tc.done)
			}
		}
	}
}

// FuzzBodyNext: Next takes the same bytes as Scan and never panics.
func FuzzBodyNext(f *testing.F) {
	for _, s := range []string{"2\r\nab\r\n0\r\n\r\n", "1\r\na\r\n0\r\nX: 1\r\n\r\nrest", "zz\r\n", "0\r\n\r"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, rest string, step int) {
		if step <= 0 || step > 64 {
			step = 1
		}
		_, _, used, _, err := nextAll(t, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", rest, step)
		d := ChunkedDecoder{Status: 502}
		n, serr := d.Scan([]byte(rest))
		if (err == nil) != (serr == nil) || err == nil && used != n {
			t.Fatalf("Next took %d (%v), Scan %d (%v)", used, err, n, serr)
		}
	})
}

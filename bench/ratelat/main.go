// Command ratelat measures HTTP/1.1 latency at a fixed offered rate over
// keep-alive connections, for the proxy benchmarks. Requests are scheduled
// on a fixed timetable and each latency is measured from its scheduled
// time, so a stall delays (and counts against) every request behind it
// instead of hiding them (no coordinated omission).
//
// It prints "P50_MS P99_MS" on one line; errors go to stderr with exit 1.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:80", "proxy address")
	path := flag.String("path", "/", "request path")
	rate := flag.Int("rate", 1000, "requests per second, over all connections")
	conns := flag.Int("conns", 10, "keep-alive connections")
	dur := flag.Duration("dur", 5*time.Second, "how long to send")
	closeEach := flag.Bool("close", false, "a new connection for each request (Connection: close)")
	flag.Parse()
	if *rate <= 0 || *conns <= 0 {
		fmt.Fprintln(os.Stderr, "ratelat: -rate and -conns must be positive")
		os.Exit(1)
	}
	req := "GET " + *path + " HTTP/1.1\r\nHost: bench\r\n\r\n"
	if *closeEach {
		req = "GET " + *path + " HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
	}
	interval := time.Duration(int64(time.Second) * int64(*conns) / int64(*rate))
	start := time.Now().Add(50 * time.Millisecond)
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	var failed error
	for i := range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine, err := run(*addr, req, *closeEach, start.Add(interval*time.Duration(i)/time.Duration(*conns)), interval, *dur)
			mu.Lock()
			defer mu.Unlock()
			lat = append(lat, mine...)
			if err != nil && failed == nil {
				failed = err
			}
		}()
	}
	wg.Wait()
	if failed != nil || len(lat) == 0 {
		fmt.Fprintln(os.Stderr, "ratelat:", failed, "after", len(lat), "responses")
		os.Exit(1)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond)
	}
	fmt.Printf("%.3f %.3f\n", pct(0.50), pct(0.99))
}

// run sends one request per interval on one connection (or, with
// closeEach, on a new connection each time, the connect counted in the
// latency) from first until dur has passed, and returns each latency from
// its scheduled time.
func run(addr, req string, closeEach bool, first time.Time, interval, dur time.Duration) ([]time.Duration, error) {
	var c net.Conn
	var r *bufio.Reader
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	var out []time.Duration
	end := first.Add(dur)
	for due := first; due.Before(end); due = due.Add(interval) {
		time.Sleep(time.Until(due))
		if c == nil {
			var err error
			if c, err = net.Dial("tcp", addr); err != nil {
				return out, err
			}
			r = bufio.NewReader(c)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte(req)); err != nil {
			return out, err
		}
		if err := readResponse(r); err != nil {
			return out, err
		}
		out = append(out, time.Since(due))
		if closeEach {
			c.Close()
			c = nil
		}
	}
	return out, nil
}

// readResponse reads one response with a Content-Length body.
func readResponse(r *bufio.Reader) error {
	length := -1
	status, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(status, "HTTP/1.1 200") {
		return fmt.Errorf("unexpected status line %q", strings.TrimSpace(status))
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "content-length") {
			if length, err = strconv.Atoi(strings.TrimSpace(v)); err != nil {
				return fmt.Errorf("bad Content-Length %q", v)
			}
		}
	}
	if length < 0 {
		return fmt.Errorf("response without Content-Length")
	}
	_, err = r.Discard(length)
	return err
}

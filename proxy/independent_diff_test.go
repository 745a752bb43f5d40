package proxy

import (
	"fmt"
	"io"
	"net"
	"testing"
	"time"
)

// streamWatched writes n chunks to c, one every gap, while watching c
// for the end of what its peer sends: it reports whether that end came
// before the last chunk was written.
func streamWatched(c net.Conn, n int, gap time.Duration) (endedEarly bool) {
	ended := make(chan struct{})
	go func() {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		io.Copy(io.Discard, c)
		close(ended)
	}()
	for range n {
		if _, err := io.WriteString(c, "0123456789"); err != nil {
			break
		}
		time.Sleep(gap)
	}
	select {
	case <-ended:
		return true
	default:
		return false
	}
}

// TestIndependentStreamsMatchesReference: with option
// independent-streams on a side, what that side is sent no longer
// counts as its activity: a client that only downloads (frontend) or a
// server that only receives (backend) is idle past its timeout although
// data flows to it; its direction then ends (the other peer sees the
// FIN) while the stream goes on to its end, logged cD or sD, as the
// reference does. Without it (or on the other side only), the stream
// ends normally (logged --).
func TestIndependentStreamsMatchesReference(t *testing.T) {
	const short, long, chunks, gap = 300 * time.Millisecond, 3 * time.Second, 10, 100 * time.Millisecond
	// transfer streams chunks from one side to the other, each closing
	// its end when done, and reports whether the sender saw the end
	// early, what the receiver got, and the log line.
	transfer := func(toClient bool) closeRun {
		return func(t *testing.T, addr string, srv *peerServer, lines func(n int) []string) []string {
			c := dialProxy(t, addr)
			s := srv.accept(t)
			sender, receiver, senderName, receiverName := net.Conn(c), net.Conn(s), "client", "server"
			if toClient {
				sender, receiver, senderName, receiverName = s, c, "server", "client"
			}
			got := make(chan string, 1)
			go func() {
				data, end := readEnd(receiver)
				receiver.Close()
				got <- fmt.Sprintf("%s: %d bytes %s", receiverName, len(data), end)
			}()
			early := streamWatched(sender, chunks, gap)
			sender.Close()
			return []string{fmt.Sprintf("%s saw the end early: %v", senderName, early), <-got, lines(1)[0]}
		}
	}
	download, upload := transfer(true), transfer(false)
	for _, tc := range []struct {
		desc, defaults, fe, be string
		client, server         time.Duration
		play                   closeRun
	}{
		{"download, without", "", "", "", short, long, download},
		{"download, frontend", "", "option independent-streams", "", short, long, download},
		{"download, backend only", "", "", "option independent-streams", short, long, download},
		{"upload, backend", "", "", "option independent-streams", long, short, upload},
		{"upload, defaults, no option in backend", "option independent-streams", "", "no option independent-streams", long, short, upload},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			compareCloseRuns(t, closeConfig("tcp", tc.defaults, tc.fe, tc.be, tc.client, tc.server), tc.play)
		})
	}
}

// TestIdleSideEndsItsDirectionMatchesReference: a client idle past
// timeout client while the server pauses ends only its own direction
// (the server sees the FIN then); what the server sends later still
// reaches the client, and the session is logged cD, as the reference
// does, with or without independent-streams.
func TestIdleSideEndsItsDirectionMatchesReference(t *testing.T) {
	play := func(t *testing.T, addr string, srv *peerServer, lines func(n int) []string) []string {
		c := dialProxy(t, addr)
		s := srv.accept(t)
		got := make(chan string, 1)
		go func() {
			data, end := readEnd(c)
			c.Close()
			got <- fmt.Sprintf("client: %q %s", data, end)
		}()
		ended := make(chan struct{})
		go func() {
			s.SetReadDeadline(time.Now().Add(10 * time.Second))
			io.Copy(io.Discard, s)
			close(ended)
		}()
		io.WriteString(s, "a")
		<-ended // the client's timeout passed
		io.WriteString(s, "b")
		s.Close()
		return []string{<-got, lines(1)[0]}
	}
	for _, option := range []string{"", "option independent-streams"} {
		t.Run(option, func(t *testing.T) {
			compareCloseRuns(t, closeConfig("tcp", option, "", "", 300*time.Millisecond, 3*time.Second), play)
		})
	}
}

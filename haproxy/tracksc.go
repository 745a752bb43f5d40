package haproxy

import (
	"fmt"
	"strings"
)

// maxTrackSlot is the highest sticky counter a track-sc rule may name
// (the reference's MAX_SESS_STKCTR-1).
const maxTrackSlot = 2

// TrackSlot reads the counter number of a track-sc action word as the
// reference does: "track-sc" followed by decimal digits, none meaning 0
// (so "track-sc src" tracks in counter 0). ok is false when word is no
// track-sc action; msg is the reference's complaint about a bad number
// (without a final period), or "".
func TrackSlot(word string) (slot int, msg string, ok bool) {
	num, found := strings.CutPrefix(word, "track-sc")
	if !found {
		return 0, "", false
	}
	var n uint32 // read as the reference's read_uint, wrapping at 2^32
	for _, c := range num {
		if c < '0' || c > '9' {
			return 0, fmt.Sprintf("Wrong track-sc number '%s'", num), true
		}
		n = n*10 + uint32(c-'0')
	}
	if n > maxTrackSlot {
		return 0, fmt.Sprintf("%d track-sc number exceeding %d (MAX_SESS_STKCTR-1) value", n, maxTrackSlot), true
	}
	slot = int(n)
	return slot, "", true
}

// trackArgsProblem checks a track-sc action (its words up to the
// condition): the counter number, then the sample fetch; the reference's
// message without its final period, or "".
func trackArgsProblem(action []string) string {
	if _, msg, _ := TrackSlot(action[0]); msg != "" {
		return msg
	}
	return fetchArgProblem(action)
}

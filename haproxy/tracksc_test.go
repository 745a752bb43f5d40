package haproxy

import "testing"

// TestTrackSlot: the counter numbers of track-sc words, as the reference
// reads them (its messages are checked by the cases in testdata).
func TestTrackSlot(t *testing.T) {
	for _, tc := range []struct {
		desc, word string
		slot       int
		bad, ok    bool
	}{
		{"no number is 0", "track-sc", 0, false, true},
		{"plain", "track-sc2", 2, false, true},
		{"leading zero", "track-sc01", 1, false, true},
		{"too high", "track-sc3", 0, true, true},
		{"wraps at 2^32", "track-sc4294967297", 1, false, true},
		{"not a number", "track-sc0x", 0, true, true},
		{"no track-sc", "set-var(txn.a)", 0, false, false},
	} {
		slot, msg, ok := TrackSlot(tc.word)
		if slot != tc.slot || (msg != "") != tc.bad || ok != tc.ok {
			t.Errorf("%s: TrackSlot(%q) = %d, %q, %v", tc.desc, tc.word, slot, msg, ok)
		}
	}
}

func FuzzTrackSlot(f *testing.F) {
	for _, s := range []string{"track-sc", "track-sc0", "track-sc99999999999", "track-sc-1", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, word string) {
		if slot, msg, _ := TrackSlot(word); msg == "" && (slot < 0 || slot > maxTrackSlot) {
			t.Errorf("TrackSlot(%q) accepted slot %d", word, slot)
		}
	})
}

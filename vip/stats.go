package vip

import (
	"fmt"
	"io"

	"fulcrum/vip/vrrp"
)

// WriteStats writes the instances' counters in the format of Keepalived's
// /tmp/keepalived.stats (written on SIGUSR2). Our one authentication-type
// check counts as "Type Mismatch"; "Invalid Type" stays 0.
func WriteStats(w io.Writer, insts ...*Instance) error {
	for _, i := range insts {
		s := i.Stats()
		r := s.Reasons
		if _, err := fmt.Fprintf(w, `VRRP Instance: %s
  Advertisements:
    Received: %d
    Sent: %d
  Became master: %d
  Released master: %d
  Packet Errors:
    Length: %d
    TTL: %d
    Invalid Type: %d
    Advertisement Interval: %d
    Address List: %d
  Authentication Errors:
    Invalid Type: %d
    Type Mismatch: %d
    Failure: %d
  Priority Zero:
    Received: %d
    Sent: %d
`, i.Name(), s.Received, s.Sent, s.BecameMaster, s.ReleasedMaster,
			r[vrrp.ReasonLength]+r[vrrp.ReasonTotalLength], r[vrrp.ReasonTTL], r[vrrp.ReasonType],
			r[vrrp.ReasonInterval], r[vrrp.ReasonAddrList],
			0, r[vrrp.ReasonAuthType], r[vrrp.ReasonPassword],
			s.PriorityZeroReceived, s.PriorityZeroSent); err != nil {
			return err
		}
	}
	return nil
}

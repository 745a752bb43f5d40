// Package vip is the high-availability engine driven by a keepalived.Config:
// VRRP election, virtual addresses and tracking.
//
// An Instance runs one vrrp_instance from its Config (the engine's own
// shape; the daemon maps the keepalived model onto it): the election
// (vip/elect) fed by advertisements received and checked (vip/vrrp,
// vip/transport), its addresses, routes and rules (vip/vaddr), gratuitous
// ARP and neighbour advertisements (vip/garp), the virtual MAC (vip/vmac),
// notifications (vip/notify); tracked scripts and interfaces (vip/track)
// report through SetTracked. An Engine runs a set of instances, reloads
// them without flapping and moves vrrp_sync_group members together.
// FromConfig maps a keepalived.Config onto these shapes (a Plan, with a
// warning for each thing read that the engine does not act on); a
// Watcher runs the tracked objects' watchers and keeps unchanged ones
// across reloads.
//
// Sockets and netlink handles belong to the network namespace of the
// thread that opens them: Open (and Engine.Apply) there.
package vip

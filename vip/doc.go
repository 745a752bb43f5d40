// Package vip is the high-availability engine driven by a keepalived.Config:
// VRRP election, virtual addresses and tracking.
package vip

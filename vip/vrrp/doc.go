// Package vrrp encodes and decodes VRRP advertisements: version 2 (RFC 3768,
// IPv4, simple-password authentication) and version 3 (RFC 5798, IPv4 and
// IPv6, checksum over the IP pseudo-header), and checks received ones the
// way Keepalived 2.2.7 does.
package vrrp

// Package haproxy turns a parsed haproxy.cfg into a typed, validated
// configuration model; it opens no sockets.
package haproxy

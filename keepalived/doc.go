// Package keepalived turns a parsed keepalived.conf into a typed, validated
// configuration model; it opens no sockets.
package keepalived

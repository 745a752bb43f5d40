// Package confparse lexes and parses HAProxy and Keepalived configuration
// text into syntax trees that keep every word's position, and reports
// problems as Diagnostic values; it knows no keyword meanings.
package confparse

// Package apisock serves HAProxy's Runtime API on `stats socket`s (unix,
// ipv4@/ipv6@ and fd@ sockets, several at once, each with its level):
// the line protocol (one-shot commands separated by `;`, pipelined
// lines, interactive `prompt` mode, `<<` payloads, `stats timeout`),
// the user/operator/admin levels with the reference's "Permission
// denied", `help` and the unknown-command answer built as the
// reference's, and the commands Fulcrum acts on: show info/stat/
// servers state/backend/sess/errors/table/map/acl, set server/weight/
// maxconn/rate-limit/timeout/map, get weight, enable/disable server/
// health/agent, add/del server/map/acl, clear counters/table/map/acl,
// shutdown session(s), show events (the log rings, -w/-n).
// Their output is the reference's, byte for byte
// where the differential tests compare it.
package apisock

// Package apisock serves HAProxy's Runtime API on `stats socket`s: the
// line protocol (one-shot commands separated by `;`, interactive `prompt`
// mode, `<<` payloads), the access levels, and the commands Fulcrum acts
// on, with the reference's output formats and messages.
package apisock

// Package balance picks a backend server the way HAProxy 2.6 does: the same
// algorithms (lb_fwrr, lb_map, lb_fwlc, lb_fas, lb_chash and the hash key
// extractors of backend.c), the same weight scaling and the same tie
// breaking, so that a sequence of picks matches the reference's.
//
// A Balancer is not safe for concurrent use: the owner (one backend of the
// engine) serialises every call under its own lock, which is also the lock
// protecting the served/queued counters the algorithms read.
package balance

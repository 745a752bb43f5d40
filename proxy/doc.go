// Package proxy is the load-balancing engine driven by a haproxy.Config:
// listeners, server selection, health checks and the data path.
package proxy

package apisock

import (
	"net"
	"os"
)

// ListenFile opens sock as Update does (permissions and owner applied)
// and returns its descriptor, for a master that binds and a worker that
// serves (Socket.FD). The unix socket file stays when the file closes.
func ListenFile(sock Socket) (*os.File, error) {
	ln, err := listen(sock)
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
	}
	return ln.(interface{ File() (*os.File, error) }).File()
}
